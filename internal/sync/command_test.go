package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestAuditCommandFlags pins the rules of `audit verify`'s checkpoint
// flags (--key, --max-sync-age), which used to live in the CLI: without
// --dsn they are refused; an age needs a key unless it only came from the
// configuration (then it is not checked); an age must parse and be
// positive.
func TestAuditCommandFlags(t *testing.T) {
	noDB := func() (*store.Store, error) { return nil, fail.New(fail.NotFound, "no database") }
	pub := pubFile(t, siteKey(t))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		c        AuditCommand
		needsDSN string // NeedsDSN's error; "" none
		want     string // checkpoints' error; "" none
		maxAge   time.Duration
		keys     int
	}{
		{name: "nothing"},
		{name: "key without dsn", c: AuditCommand{Keys: []string{pub}}, needsDSN: "they need --dsn", keys: 1},
		{name: "age without dsn", c: AuditCommand{MaxAge: "1h", MaxAgeGiven: true}, needsDSN: "they need --dsn", want: "--max-sync-age needs --key"},
		{name: "configured age without key", c: AuditCommand{MaxAge: "1h"}},
		{name: "age and key", c: AuditCommand{Keys: []string{pub}, MaxAge: "36h"}, needsDSN: "they need --dsn", maxAge: 36 * time.Hour, keys: 1},
		{name: "age in days", c: AuditCommand{Keys: []string{pub}, MaxAge: "7d", MaxAgeGiven: true}, needsDSN: "they need --dsn", maxAge: 7 * 24 * time.Hour, keys: 1},
		{name: "age that does not parse", c: AuditCommand{Keys: []string{pub}, MaxAge: "soon"}, needsDSN: "they need --dsn", want: "--max-sync-age "},
		{name: "age zero", c: AuditCommand{Keys: []string{pub}, MaxAge: "0h"}, needsDSN: "they need --dsn", want: "--max-sync-age must be positive"},
		{name: "key that is not there", c: AuditCommand{Keys: []string{"nokey"}}, needsDSN: "they need --dsn", want: "no database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.Local, c.Now = noDB, now
			if err := c.NeedsDSN(); tc.needsDSN == "" && err != nil || tc.needsDSN != "" && (!fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), tc.needsDSN)) {
				t.Fatalf("NeedsDSN: want %q, got %v", tc.needsDSN, err)
			}
			o, err := c.checkpoints(context.Background())
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("want an error saying %q, got %v", tc.want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.MaxAge != tc.maxAge || len(o.Keys) != tc.keys || !o.Now.Equal(now) {
				t.Fatalf("got max age %v, %d keys, now %v", o.MaxAge, len(o.Keys), o.Now)
			}
		})
	}
}
