package bundle

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestTimeAnchors: the exporter's clock is signed into the manifest; a
// verifier behind it refuses the bundle; expiry within 7 days warns;
// import records the latest anchor per stream; a clock behind it is
// refused.
func TestTimeAnchors(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	signed := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	first := exportSite(t, a, ExportOptions{TimeAnchor: signed})
	if first.Manifest.TimeAnchor != "2026-03-12T00:00:00Z" {
		t.Fatalf("timeAnchor %q", first.Manifest.TimeAnchor)
	}
	if dflt := exportSite(t, a, ExportOptions{}).Manifest; dflt.TimeAnchor != dflt.CreatedAt {
		t.Fatalf("default anchor %s, want createdAt %s", dflt.TimeAnchor, dflt.CreatedAt)
	}
	// Another anchor is another bundle: a new sequence.
	if again := exportSite(t, a, ExportOptions{TimeAnchor: signed.Add(time.Hour)}); again.Reused || again.Manifest.Sequence == first.Manifest.Sequence {
		t.Fatalf("a new anchor reused sequence %d", again.Manifest.Sequence)
	}
	if _, err := Export(ctx, a.st, ExportOptions{Key: a.key, Policies: []string{"P-1@latest"}, TimeAnchor: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("anchor before createdAt: %v", err)
	}

	verify := func(at time.Time) (*Report, error) {
		b, err := Read(bytes.NewReader(first.Data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return b.Verify(ctx, VerifyOptions{Trusted: publicOnly(a.key), TimeAnchor: at})
	}
	if _, err := verify(signed.Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), "this clock is behind the exporter's") {
		t.Fatalf("verified an hour before its anchor: %v", err)
	}
	rep, err := verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SignedAnchor != first.Manifest.TimeAnchor || rep.DaysLeft != 19 || rep.Expiring != "" {
		t.Fatalf("report %+v", rep)
	}
	rep, err = verify(time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if rep.DaysLeft != 3 || !strings.Contains(rep.Expiring, `bundle 1 of stream "default" expires in 3 days (valid until 2026-03-31T12:00:01Z)`) {
		t.Fatalf("expiring report %+v", rep)
	}

	// Two imports of the stream: status names the highest sequence and
	// the latest anchor.
	second := exportSite(t, a, ExportOptions{Sequence: 9, TimeAnchor: signed.Add(48 * time.Hour)})
	dir := t.TempDir()
	db := filepath.Join(dir, "b.db")
	open := func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }
	for i, ex := range []*Exported{first, second} {
		o := trusting(a.key)
		o.Verify.TimeAnchor = signed.Add(72 * time.Hour)
		if _, err := ImportFile(ctx, writeFile(t, dir, "kit"+string(rune('1'+i))+".tar.zst", ex.Data), Limits{}, open, o, ""); err != nil {
			t.Fatal(err)
		}
	}
	st := openStore(t, db, "")
	var streams []StreamStatus
	st.View(ctx, func(tx *store.Tx) error {
		streams, err = Streams(ctx, tx)
		return err
	})
	if err != nil || len(streams) != 1 {
		t.Fatalf("streams %+v, %v", streams, err)
	}
	if s := streams[0]; s.Stream != "default" || s.Sequence != 9 || s.Imports != 2 || s.TimeAnchor != "2026-03-14T00:00:00Z" || s.BundleID != second.Manifest.BundleID {
		t.Fatalf("stream status %+v", s)
	}
	if err := CheckClock(ctx, st, signed.Add(47*time.Hour)); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "is behind the signed time anchor 2026-03-14T00:00:00Z") {
		t.Fatalf("clock behind the anchor: %v", err)
	}
	if err := CheckClock(ctx, st, signed.Add(48*time.Hour+time.Minute)); err != nil {
		t.Fatalf("clock after the anchor: %v", err)
	}
	for _, c := range []struct {
		at       time.Time
		source   string
		days     int
		expired  bool
		behind   bool
		warnings int
	}{
		{signed, "time-anchor", 19, false, true, 1},
		{time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), "system-clock", 11, false, false, 0},
		{time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), "time-anchor", 3, false, false, 1},
		{time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC), "time-anchor", 0, true, false, 1},
	} {
		r, err := Status(ctx, st, c.at.Add(500*time.Millisecond), c.source)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Streams[0]
		if r.CheckedAt != c.at.Format(time.RFC3339) || r.CheckedAtSource != c.source || r.LatestAnchor != "2026-03-14T00:00:00Z" ||
			s.DaysLeft != c.days || s.Expired != c.expired || r.ClockBehind != c.behind || len(r.Warnings) != c.warnings {
			t.Errorf("status at %s: %+v", c.at, r)
		}
	}
	empty, err := Status(ctx, openStore(t, filepath.Join(dir, "empty.db"), ""), signed, "system-clock")
	if err != nil || len(empty.Streams) != 0 || empty.Streams == nil || empty.LatestAnchor != "" || len(empty.Warnings) != 0 {
		t.Errorf("no streams: %+v, %v", empty, err)
	}
}

// TestDaysLeftExact: days left are counted exactly for any validUntil, not
// saturated at time.Duration's 292 years (106751 days).
func TestDaysLeftExact(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	signed := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		until time.Time
		at    time.Time // verified and judged at
		days  int
	}{
		{time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC), signed, 30},
		{time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC), signed.Add(time.Second), 29}, // whole days, rounded down
		{time.Date(2318, 12, 31, 0, 0, 0, 0, time.UTC), signed, 106944},             // just beyond the saturation
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), signed, 2912372},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), signed.Add(48*time.Hour + time.Second), 2912369},
	} {
		ex := exportSite(t, a, ExportOptions{TimeAnchor: signed, ValidUntil: c.until})
		b, err := Read(bytes.NewReader(ex.Data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := b.Verify(ctx, VerifyOptions{Trusted: publicOnly(a.key), TimeAnchor: c.at})
		if err != nil {
			t.Fatal(err)
		}
		if rep.DaysLeft != c.days {
			t.Errorf("verify: valid until %s at %s: %d days left, want %d", c.until, c.at, rep.DaysLeft, c.days)
		}
		dir := t.TempDir()
		db := filepath.Join(dir, "b.db")
		open := func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }
		o := trusting(a.key)
		o.Verify.TimeAnchor = c.at
		if _, err := ImportFile(ctx, writeFile(t, dir, "kit.tar.zst", ex.Data), Limits{}, open, o, ""); err != nil {
			t.Fatal(err)
		}
		r, err := Status(ctx, openStore(t, db, ""), c.at, "system-clock")
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Streams[0]; s.DaysLeft != c.days || s.Expired {
			t.Errorf("status: valid until %s at %s: %+v, want %d days left", c.until, c.at, s, c.days)
		}
	}
}
