package governance

import (
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestAuthorizeRun: who records a run, with and without a trust config,
// and the keys a verification trusts.
func TestAuthorizeRun(t *testing.T) {
	w := newWorld(t, 1)
	trust := w.reg.Trust
	for _, tc := range []struct {
		name      string
		trust     *Trust
		key       *attest.Key
		scope     string
		principal string
		kind      fail.Kind // 0: authorized
	}{
		{"no trust config, unsigned", nil, nil, ScopePolicyRun, "cli", 0},
		{"no trust config, any key", nil, w.keys["bob"], ScopePolicyRun, "cli", 0},
		{"holds the scope", trust, w.keys["alice"], ScopePolicySimulate, "alice", 0},
		{"lacks the scope", trust, w.keys["bob"], ScopePolicySimulate, "", fail.KindOf(refuse(GuardScope, "x"))},
		{"no key under a trust config", trust, nil, ScopePolicyRun, "", fail.KindOf(refuse(GuardScope, "x"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			act, err := AuthorizeRun(tc.trust, tc.key, tc.scope)
			if tc.kind != 0 {
				if fail.KindOf(err) != tc.kind {
					t.Fatalf("err %v, want kind %d", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if act.Principal != tc.principal || act.Key != tc.key || act.Trust != tc.trust {
				t.Fatalf("actor %+v", act)
			}
		})
	}
	none := func() (*store.Store, error) { t.Fatal("no ref needs the database"); return nil, nil }
	if keys, err := VerifyKeys(context.Background(), nil, nil, none); err != nil || len(keys) != 0 {
		t.Fatalf("no refs, no trust: %v %v", keys, err)
	}
	keys, err := VerifyKeys(context.Background(), nil, trust, none)
	if err != nil || len(keys) != len(trust.Entries) {
		t.Fatalf("the trust config's keys: %d of %d (%v)", len(keys), len(trust.Entries), err)
	}
}
