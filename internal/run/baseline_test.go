package run_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

func TestGate(t *testing.T) {
	for _, tc := range []struct {
		verdict, failOn string
		shadow          bool
		want            fail.Kind
	}{
		{engine.VerdictBlocked, "blocked", false, fail.Blocked},
		{engine.VerdictBlocked, "warned", false, fail.Blocked},
		{engine.VerdictBlocked, "never", false, 0},
		{engine.VerdictBlocked, "blocked", true, 0},
		{engine.VerdictWarned, "blocked", false, 0},
		{engine.VerdictWarned, "warned", false, fail.Warned},
		{engine.VerdictPassed, "warned", false, 0},
	} {
		if got := run.Gate(tc.verdict, tc.failOn, tc.shadow); got != tc.want {
			t.Errorf("Gate(%s, %s, shadow %v) = %d, want %d", tc.verdict, tc.failOn, tc.shadow, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name       string
		newB, newW int
		failOn     string
		shadow     bool
		want       fail.Kind
	}{
		{"newly blocked", 1, 0, "new-blocked", false, fail.Blocked},
		{"newly warned, new-blocked", 0, 1, "new-blocked", false, 0},
		{"newly warned, new-warned", 0, 1, "new-warned", false, fail.Warned},
		{"newly blocked, shadow", 1, 1, "new-warned", true, 0},
		{"nothing new", 0, 0, "new-warned", false, 0},
	} {
		c := &run.Compared{Delta: &delta.Delta{}, Shadow: tc.shadow}
		c.Delta.Summary.NewBlocked, c.Delta.Summary.NewWarned = tc.newB, tc.newW
		if got := c.Gate(tc.failOn); got != tc.want {
			t.Errorf("%s: Compared.Gate = %d, want %d", tc.name, got, tc.want)
		}
	}
	// A gate that blocks (warns) now and did not in the baseline fails the
	// build like a newly blocked (warned) finding.
	for _, tc := range []struct {
		name        string
		block, warn []string
		failOn      string
		shadow      bool
		want        fail.Kind
	}{
		{"gate newly blocking", []string{"unknowns-budget"}, nil, "new-blocked", false, fail.Blocked},
		{"gate newly blocking, new-warned", []string{"feed-age"}, nil, "new-warned", false, fail.Blocked},
		{"gate newly warning, new-blocked", nil, []string{"epss-threshold"}, "new-blocked", false, 0},
		{"gate newly warning, new-warned", nil, []string{"epss-threshold"}, "new-warned", false, fail.Warned},
		{"gate newly blocking, shadow", []string{"unknowns-budget"}, nil, "new-blocked", true, 0},
	} {
		c := &run.Compared{Delta: &delta.Delta{}, Shadow: tc.shadow}
		c.Delta.Summary.GatesNewlyBlocking, c.Delta.Summary.GatesNewlyWarning = tc.block, tc.warn
		if got := c.Gate(tc.failOn); got != tc.want {
			t.Errorf("%s: Compared.Gate = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestDelta compares a build with a recorded run of itself, the same
// inputs as an SBOM baseline, and two recorded runs (DiffRuns): nothing is
// new, and a run with no inventory is named.
func TestDelta(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	spec := run.Spec{Policy: policy(t), Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Mode: store.ModeSimulate, Record: true}
	out, err := run.Evaluate(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := run.Record(ctx, st, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		b        run.Baseline
		wantKind string
	}{
		{"recorded run", run.Baseline{Run: "latest"}, "run"},
		{"sbom", run.Baseline{SBOM: data + "app.cdx.json"}, "sbom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := compare(t, st, spec, tc.b)
			s := c.Delta.Summary
			if c.Delta.Baseline.Kind != tc.wantKind || s.NewBlocked != 0 || s.NewWarned != 0 || c.Gate("new-warned") != 0 || len(c.Warnings) != 0 {
				t.Fatalf("delta against itself: baseline %+v, summary %+v, warnings %v", c.Delta.Baseline, s, c.Warnings)
			}
			if out.Gate("new-warned", c) != 0 {
				t.Fatal("simulation gate fails on nothing new")
			}
		})
	}
	c, err := run.DiffRuns(ctx, st, rec.Record.RunID, "latest")
	if err != nil || c.Delta.Baseline.Ref != rec.Record.RunID || c.Delta.Summary.NewBlocked != 0 {
		t.Fatalf("DiffRuns: %v %+v", err, c)
	}
	if _, err := run.DiffRuns(ctx, st, "run:nope", "latest"); err == nil {
		t.Fatal("DiffRuns of an unknown run: no error")
	}
	if !run.IsRunRef("latest:main") || !run.IsRunRef("run:x") || run.IsRunRef("P-1") || run.IsRunRef("gate.stella") {
		t.Fatal("IsRunRef")
	}
}

// TestBaselineSnapshotError: a baseline run without a component inventory
// falls back to its stored snapshot; a snapshot that is not in the store
// gives a warning saying so, one that is there but does not load is an
// error, not a delta without component changes.
func TestBaselineSnapshotError(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	out, err := run.Evaluate(ctx, run.Spec{Policy: policy(t), Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Mode: store.ModeSimulate, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Record(ctx, st, out, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A run of a stored snapshot, recorded before component inventories
	// were kept.
	snap := "sha256:" + strings.Repeat("0", 64)
	if _, err := db.Exec(`DELETE FROM run_components`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE runs SET snapshot_id = ?`, snap); err != nil {
		t.Fatal(err)
	}
	a, err := run.Prepare(ctx, st, run.Baseline{Run: "latest"})
	if c := a.Compared(); err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "its snapshot "+snap+" is not in this store") {
		t.Fatalf("snapshot not stored: %v, warnings %q", err, c.Warnings)
	}
	// The snapshot is registered but its files are gone.
	if _, err := db.Exec(`INSERT INTO snapshots (tenant, snapshot_id, summary, source, imported_at) VALUES (?, ?, '{}', 'test', '2025-06-01T00:00:00Z')`,
		st.Tenant(), snap); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Prepare(ctx, st, run.Baseline{Run: "latest"}); err == nil || !strings.Contains(err.Error(), "baseline run") {
		t.Fatalf("snapshot that does not load: %v", err)
	}
}

// compare evaluates spec against the baseline b (Spec.Against).
func compare(t *testing.T, st *store.Store, spec run.Spec, b run.Baseline) (*run.Compared, *run.Outcome) {
	t.Helper()
	ctx := context.Background()
	a, err := run.Prepare(ctx, st, b)
	if err != nil {
		t.Fatal(err)
	}
	spec.Against, spec.Record = a, false
	out, err := run.Evaluate(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	return a.Compared(), out
}

// TestNewFindingsOnlyAgainst: settings new_findings_only compares with a
// --baseline-sbom or --baseline-run baseline as with --baseline POLICY
// (docs/dsl.md "Gates"): the build whose lodash changed version blocks
// only what the baseline did not block, and the gate counts what the delta
// counts newly blocked.
func TestNewFindingsOnlyAgainst(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, err := os.ReadFile(data + "policy.stella")
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("max_critical = 0"), []byte("new_findings_only = true"), 1)
	sbom, err := os.ReadFile(data + "app.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	sbom = bytes.ReplaceAll(sbom, []byte("4.17.20"), []byte("4.17.19"))
	for name, b := range map[string][]byte{"p.stella": src, "pr.cdx.json": sbom} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := run.LoadPolicy(ctx, nil, filepath.Join(dir, "p.stella"), store.PickLatest)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	main := run.Spec{Policy: p, Files: files(), At: at, Mode: store.ModeSimulate, Record: true}
	out, err := run.Evaluate(ctx, main)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Record(ctx, st, out, nil); err != nil {
		t.Fatal(err)
	}
	blocked := out.Result.Summary.ByVerdict.Blocked
	if blocked == 0 {
		t.Fatal("the test inputs block nothing")
	}
	pr := main
	pr.Files = files()
	pr.Files.SBOMs = []string{filepath.Join(dir, "pr.cdx.json")}
	for _, b := range []run.Baseline{{SBOM: data + "app.cdx.json"}, {Run: "latest"}} {
		c, out := compare(t, st, pr, b)
		g := gateNamed(t, out.Result, engine.GateNewFindings)
		if g.Observed.String() != "0" || g.Outcome != engine.GateWarn || out.Result.Verdict != engine.VerdictWarned || c.Delta.Summary.NewBlocked != 0 {
			t.Errorf("%+v: gate %+v, verdict %s, delta newly blocked %d; want nothing new, warned", b, g, out.Result.Verdict, c.Delta.Summary.NewBlocked)
		}
		if !strings.Contains(g.Message, "the baseline also blocked") || c.Delta.Summary.Unchanged == 0 {
			t.Errorf("%+v: gate message %q, delta %+v", b, g.Message, c.Delta.Summary)
		}
	}
}

func gateNamed(t *testing.T, r *engine.Result, name string) engine.Gate {
	t.Helper()
	for _, g := range r.Gates {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no gate %s in %+v", name, r.Gates)
	return engine.Gate{}
}
