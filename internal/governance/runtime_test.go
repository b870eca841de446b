package governance

import (
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/store"
)

// TestCheckRunTime covers the rule that an enforced run at a governed site
// is not backdated (docs/governance.md "Runs at a governed site"): its
// evaluation time may not be earlier than the latest evaluation time of an
// enforced run recorded here for the tenant; equal is allowed, and shadow
// runs, recorded simulations, ungoverned sites and other tenants' runs do
// not count or are not checked.
func TestCheckRunTime(t *testing.T) {
	at := func(s string) time.Time { t.Helper(); return newClock(s).now() }
	const T = "2026-06-01T12:00:00Z"
	for _, c := range []struct {
		name    string
		runs    func(w *world, ref string) // what is recorded before
		at      string
		now     string // the invocation's clock; "" → at
		asOf    string
		shadow  bool
		ungov   bool
		refused string // "" → allowed
	}{
		{name: "no runs yet", at: "2020-01-01T00:00:00Z", asOf: "2020-01-01T00:00:00Z"},
		{name: "later", runs: runAt(T), at: "2026-06-02T12:00:00Z", asOf: "2026-06-02T12:00:00Z"},
		{name: "equal", runs: runAt(T), at: T, asOf: T},
		{name: "earlier", runs: runAt(T), at: "2026-05-31T12:00:00Z", asOf: "2026-05-31T12:00:00Z",
			refused: "evaluation time 2026-05-31T12:00:00Z (--as-of 2026-05-31T12:00:00Z) is before 2026-06-01T12:00:00Z, that of run run:"},
		{name: "earlier, a fraction of a second", runs: runAt(T), at: "2026-06-01T11:59:59.5Z", asOf: "2026-06-01T11:59:59.5Z", refused: "may not be backdated"},
		{name: "earlier, by the clock", runs: runAt(T), at: "2026-05-31T12:00:00Z",
			refused: "the clock (2026-05-31T12:00:00Z) is behind the evaluation time 2026-06-01T12:00:00Z of run run:"},
		{name: "earlier, --as-of inputs", runs: runAt(T), at: "2026-05-31T12:00:00Z", asOf: "inputs", refused: "(--as-of inputs, the newest timestamp among the inputs)"},
		{name: "earlier than a failed enforced run", runs: func(w *world, ref string) { w.clock.t = newClock(T).t; w.run(ref, store.ModeRun, false, true) },
			at: "2026-05-31T12:00:00Z", asOf: "2026-05-31T12:00:00Z", refused: "the latest enforced run recorded here"},
		{name: "shadow allowed", runs: runAt(T), at: "2020-01-01T00:00:00Z", asOf: "2020-01-01T00:00:00Z", shadow: true},
		{name: "ahead of the clock", at: "2099-01-01T00:00:00Z", now: T, asOf: "2099-01-01T00:00:00Z",
			refused: "evaluation time 2099-01-01T00:00:00Z (--as-of 2099-01-01T00:00:00Z) is ahead of the clock (2026-06-01T12:00:00Z)"},
		{name: "ahead of the clock, --as-of inputs", at: "2026-06-01T13:00:00Z", now: T, asOf: "inputs", refused: "may not be dated in the future"},
		{name: "within the clock's skew", at: "2026-06-01T12:05:00Z", now: T, asOf: "2026-06-01T12:05:00Z"},
		{name: "ahead of the clock, shadow", at: "2099-01-01T00:00:00Z", now: T, asOf: "2099-01-01T00:00:00Z", shadow: true},
		{name: "ahead of the clock, ungoverned", at: "2099-01-01T00:00:00Z", now: T, asOf: "2099-01-01T00:00:00Z", ungov: true},
		{name: "ungoverned allowed", runs: runAt(T), at: "2020-01-01T00:00:00Z", asOf: "2020-01-01T00:00:00Z", ungov: true},
		{name: "later shadow runs and simulations do not count", runs: func(w *world, ref string) {
			w.clock.t = newClock("2020-01-01T00:00:00Z").t
			w.run(ref, store.ModeRun, false, false)
			w.clock.t = newClock("2030-01-01T00:00:00Z").t
			w.run(ref, store.ModeRun, true, false)
			w.run(ref, store.ModeSimulate, false, false)
		}, at: T, asOf: T},
		{name: "other tenant's runs ignored", runs: func(w *world, ref string) {
			st, err := store.Open(w.ctx, w.st.Path(), "acme", store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			other := *w
			other.st, other.noReplay = st, true
			other.reg = &Registry{Store: st, Trust: w.reg.Trust, Settings: w.reg.Settings}
			other.clock.t = newClock("2030-01-01T00:00:00Z").t
			ref = other.draft("", cleanPolicy)
			other.run(ref, store.ModeRun, false, false)
		}, at: T, asOf: T},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 1)
			ref := w.draft("", cleanPolicy)
			if c.runs != nil {
				c.runs(w, ref)
			}
			trust := w.reg.Trust
			if c.ungov {
				trust = nil
			}
			now := c.now
			if now == "" {
				now = c.at
			}
			err := CheckRunTime(w.ctx, w.st, trust, at(c.at), at(now), c.asOf, c.shadow)
			if c.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			refused(t, err, GuardClock, c.refused)
			wants := []string{"stella policy simulate --as-of", "stella policy replay"}
			if c.now != "" {
				wants = wants[:1] // ahead of the clock: no past verdict to replay
			}
			for _, want := range wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
		})
	}
}

// runAt records one enforced run of ref evaluated at ts.
func runAt(ts string) func(w *world, ref string) {
	return func(w *world, ref string) { w.clock.t = newClock(ts).t; w.run(ref, store.ModeRun, false, false) }
}

// TestCheckRunTimeNoDatabase: before the first run there is no database,
// and no run to order by, but the first run is not dated ahead either
// (it would hold every later one to its time).
func TestCheckRunTimeNoDatabase(t *testing.T) {
	w := newWorld(t, 1)
	now := newClock("2026-06-01T12:00:00Z").now()
	if err := CheckRunTime(w.ctx, nil, w.reg.Trust, now.Add(-24*time.Hour), now, "2026-05-31T12:00:00Z", false); err != nil {
		t.Fatalf("a backdated first run: %v", err)
	}
	err := CheckRunTime(w.ctx, nil, w.reg.Trust, now.Add(time.Hour), now, "2026-06-01T13:00:00Z", false)
	refused(t, err, GuardClock, "is ahead of the clock (2026-06-01T12:00:00Z)")
}
