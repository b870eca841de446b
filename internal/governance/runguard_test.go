package governance

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestRunTimeGuardConcurrent: two enforced runs at a governed site, the
// second dated before the first, both pass the early clock check
// (CheckRunTime: nothing is recorded yet). Recorded at once by two
// connections to one database (two processes), the one dated earlier is
// refused in its recording transaction (RunTimeGuard), with nothing of it
// recorded (docs/governance.md "Runs at a governed site").
func TestRunTimeGuardConcurrent(t *testing.T) {
	w := newWorld(t, 1)
	ctx, trust := w.ctx, w.reg.Trust
	p, err := run.Compile("gate.stella", []byte(cleanPolicy))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(testenv.RepoRoot(), "testdata", "simulate")
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: []string{filepath.Join(in, "app.cdx.json")}, Advisories: []string{filepath.Join(in, "osv")}})
	if err != nil {
		t.Fatal(err)
	}
	later, earlier := time.Date(2024, 7, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 9, 0, 0, 0, 0, time.UTC)
	now := later
	outcomes := map[time.Time]*run.Outcome{}
	for _, at := range []time.Time{later, earlier} {
		out, err := run.Evaluate(ctx, run.Spec{Policy: p, Snapshot: snap, At: at, Record: true, Mode: store.ModeRun, Started: now})
		if err != nil {
			t.Fatal(err)
		}
		outcomes[at] = out
		if err := CheckRunTime(ctx, w.st, trust, at, now, at.Format(time.RFC3339), false); err != nil {
			t.Fatalf("early check at %s: %v", at, err)
		}
	}
	other, err := store.Open(ctx, w.st.Path(), w.st.Tenant(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	inFirst, first := make(chan struct{}), make(chan error)
	go func() {
		guard := RunTimeGuard(ctx, trust, later, now, later.Format(time.RFC3339), false)
		_, err := run.RecordGuarded(ctx, w.st, outcomes[later], nil, func(tx *store.Tx) error {
			err := guard(tx)
			close(inFirst)
			time.Sleep(100 * time.Millisecond) // the second recording starts, and waits for this one
			return err
		})
		first <- err
	}()
	<-inFirst
	_, err = run.RecordGuarded(ctx, other, outcomes[earlier], nil, RunTimeGuard(ctx, trust, earlier, now, earlier.Format(time.RFC3339), false))
	if err := <-first; err != nil {
		t.Fatalf("first recording: %v", err)
	}
	refused(t, err, GuardClock, "evaluation time 2024-07-09T00:00:00Z (--as-of 2024-07-09T00:00:00Z) is before 2024-07-10T00:00:00Z")

	err = w.st.View(ctx, func(tx *store.Tx) error {
		runs, err := tx.Runs(ctx, store.RunFilter{})
		if err != nil {
			return err
		}
		if len(runs) != 1 || runs[0].EvaluationTime != later.Format(time.RFC3339) {
			t.Errorf("recorded %d runs (%v), want the one at %s", len(runs), runs, later)
		}
		events, err := tx.Events(ctx, store.EventFilter{Type: "policy.run."})
		if err != nil {
			return err
		}
		if len(events) != 2 {
			t.Errorf("%d policy.run.* events, want the first run's started and completed", len(events))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
