package governance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestSiteRunGuard: Site.Run (policy run) binds the clock rule in the
// transaction that records the run (docs/governance.md "Runs at a governed
// site"). An enforced run at a governed site passes the early check
// (nothing is recorded yet); while it evaluates, another process records
// an enforced run dated later. Site.Run is then refused (guard clock, exit
// 3) with nothing of it recorded: only the other run is in runs.
func TestSiteRunGuard(t *testing.T) {
	w := newWorld(t, 1)
	ctx := w.ctx
	dir := t.TempDir()

	// The trust config, recorded: the world's principals and ci, who runs.
	ci, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&TrustChange{Store: w.st, Trust: w.reg.Trust}).Add(ctx, "ci", ci, []string{ScopePolicyRun}); err != nil {
		t.Fatal(err)
	}
	pem, err := ci.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	ciKey := filepath.Join(dir, "ci.key")
	if err := os.WriteFile(ciKey, pem, 0o600); err != nil {
		t.Fatal(err)
	}

	// P-1@1, approved here.
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Approve(ctx, w.as["carol"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	if s := w.state(ref); s != store.StateApproved {
		t.Fatalf("%s is %s, want approved", ref, s)
	}

	// A snapshot imported here.
	in := filepath.Join(testenv.RepoRoot(), "testdata", "simulate")
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: []string{filepath.Join(in, "app.cdx.json")}, Advisories: []string{filepath.Join(in, "osv")}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := snap.Files()
	if err != nil {
		t.Fatal(err)
	}
	err = w.st.Update(ctx, func(tx *store.Tx) error {
		sf := make([]store.File, len(files))
		for i, f := range files {
			sf[i] = store.File{Path: f.Path, MediaType: f.MediaType, Data: f.Data}
		}
		_, err := tx.PutSnapshot(ctx, snap.ID(), "test", json.RawMessage(`{"sboms":1}`), sf)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	earlier, later := time.Date(2024, 7, 9, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 10, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	// The other process: its own connection to the database, recording an
	// enforced run dated later.
	other, err := store.Open(ctx, w.st.Path(), w.st.Tenant(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p, err := run.Compile("gate.stella", []byte(cleanPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var otherRun string
	recordLater := func(*run.Outcome) {
		out, err := run.Evaluate(ctx, run.Spec{Policy: p, Snapshot: snap, At: later, Record: true, Mode: store.ModeRun, Started: now})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := run.Record(ctx, other, out, nil)
		if err != nil {
			t.Fatal(err)
		}
		otherRun = rec.Record.RunID
	}

	site := &Site{DB: w.st.Path(), Tenant: w.st.Tenant(), Lookup: TrustLookup{ConfigHome: filepath.Join(dir, "home")},
		Setting: func(string) string { return "" }, Loud: func(m string) { t.Errorf("loud: %s", m) }}
	req := RunRequest{
		Policy: ref, Snapshot: snap.ID(), FailOn: "blocked",
		Eval:    run.EvalOptions{AsOf: earlier.Format(time.RFC3339), UncheckedBudget: -1},
		Getenv:  func(string) string { return "" },
		Verify:  BundleCheck{Trust: w.reg.Trust.Path},
		Sign:    SigningKeyQuery{SignKey: ciKey, Dir: filepath.Join(dir, "keys"), Getenv: func(string) string { return "" }},
		Started: now,
		Load:    run.LoadPolicy,
		Said:    RunNotices{Evaluated: recordLater},
	}
	done, err := site.Run(ctx, req)
	if done != nil {
		t.Errorf("Site.Run recorded run %s", done.Recorded.Record.RunID)
	}
	refused(t, err, GuardClock, "evaluation time 2024-07-09T00:00:00Z (--as-of 2024-07-09T00:00:00Z) is before 2024-07-10T00:00:00Z, that of run "+otherRun)

	err = w.st.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Runs(ctx, store.RunFilter{})
		if err != nil {
			return err
		}
		var runs []string
		for _, r := range all {
			if r.Mode == store.ModeRun {
				runs = append(runs, r.RunID)
			}
		}
		if len(runs) != 1 || runs[0] != otherRun {
			t.Errorf("recorded runs %v, want only the other process's %s", runs, otherRun)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
