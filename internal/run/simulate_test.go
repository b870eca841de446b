package run

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// errText is err's message, "" for none.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSimulateRequestCheck(t *testing.T) {
	const p = "p.stella"
	for _, tc := range []struct {
		name string
		r    SimulateRequest
		want string
	}{
		{"policy", SimulateRequest{Policy: p, FailOn: "blocked"}, ""},
		{"nothing", SimulateRequest{FailOn: "blocked"}, "give POLICY (a .stella file or P-n[@version]), or --set"},
		{"set and policy", SimulateRequest{Policy: p, Set: "active", FailOn: "blocked"}, "--set replaces POLICY: name the policies in --set (or --set active)"},
		{"set baseline", SimulateRequest{Set: "active", Baseline: p, FailOn: "blocked"}, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set"},
		{"set baseline run", SimulateRequest{Set: "active", Against: Baselines{Run: "latest"}, FailOn: "blocked"}, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set"},
		{"set new-blocked", SimulateRequest{Set: "active", FailOn: "new-blocked"}, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set"},
		{"set expect-ir", SimulateRequest{Set: "active", ExpectIR: "sha256:x", FailOn: "blocked"}, "--expect-ir-digest names one policy's IR; it does not apply to --set"},
		{"set fail-on", SimulateRequest{Set: "active", FailOn: "x"}, `--fail-on "x": want blocked, warned or never`},
		{"set label", SimulateRequest{Set: "active", FailOn: "never", Labels: []string{"main"}}, "--label labels a recorded run: add --record"},
		{"set recorded", SimulateRequest{Set: "P-1,P-2", FailOn: "warned", Labels: []string{"main"}, Record: true}, ""},
		{"two baselines", SimulateRequest{Policy: p, Against: Baselines{Run: "latest", SBOM: "b.json"}, FailOn: "blocked"}, "give one baseline: --baseline POLICY, --baseline-run, --baseline-snapshot or --baseline-sbom"},
		{"baseline and run", SimulateRequest{Policy: p, Baseline: p, Against: Baselines{Snapshot: "abc"}, FailOn: "blocked"}, "give one baseline: --baseline POLICY, --baseline-run, --baseline-snapshot or --baseline-sbom"},
		{"fail-on", SimulateRequest{Policy: p, FailOn: "x"}, `--fail-on "x": want blocked, warned, never, new-blocked or new-warned`},
		{"new-blocked alone", SimulateRequest{Policy: p, FailOn: "new-blocked"}, "--fail-on new-blocked needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID, --baseline-sbom FILE or --baseline POLICY"},
		{"new-blocked policy", SimulateRequest{Policy: p, Baseline: p, FailOn: "new-blocked"}, ""},
		{"new-warned policy", SimulateRequest{Policy: p, Baseline: p, FailOn: "new-warned"}, "--fail-on new-warned needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID or --baseline-sbom FILE"},
		{"new-warned sbom", SimulateRequest{Policy: p, Against: Baselines{SBOM: "b.json"}, FailOn: "new-warned"}, ""},
		{"label unrecorded", SimulateRequest{Policy: p, FailOn: "blocked", Labels: []string{"main"}}, "--label labels a recorded run: add --record"},
		{"bad label", SimulateRequest{Policy: p, FailOn: "blocked", Labels: []string{"main", "-x"}, Record: true}, `label "-x": want letters, digits and . _ / + - (at most 128, not starting with a symbol)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Check()
			if got := errText(err); got != tc.want {
				t.Fatalf("Check() = %q, want %q", got, tc.want)
			}
			if err != nil && !fail.Is(err, fail.Invalid) {
				t.Errorf("kind %v, want invalid", fail.KindOf(err))
			}
		})
	}
}

// databases names a database that does not exist and one that does, empty.
func databases(t *testing.T) (none, db string) {
	dir := t.TempDir()
	none, db = filepath.Join(dir, "none.db"), filepath.Join(dir, "stella.db")
	st, err := store.Open(context.Background(), db, "default", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return none, db
}

func TestSimulateRequestStore(t *testing.T) {
	none, db := databases(t)
	for _, tc := range []struct {
		name string
		r    SimulateRequest
		db   string
		open bool
		want string
	}{
		{"file", SimulateRequest{Policy: "p.stella"}, none, false, ""},
		{"registered", SimulateRequest{Policy: "P-1"}, none, true, ""},
		{"registered baseline", SimulateRequest{Policy: "p.stella", Baseline: "P-2@3"}, none, true, ""},
		{"record", SimulateRequest{Policy: "p.stella", Record: true}, none, true, ""},
		{"set", SimulateRequest{Set: "P-1"}, db, false, ""},
		{"baseline run", SimulateRequest{Policy: "p.stella", Against: Baselines{Run: "latest"}}, db, true, ""},
		{"baseline run recorded", SimulateRequest{Policy: "p.stella", Against: Baselines{Run: "latest"}, Record: true}, none, true, ""},
		{"no history", SimulateRequest{Policy: "p.stella", Against: Baselines{Run: "latest:release/1"}}, none, false,
			"--baseline-run latest:release/1: no run history at " + none + " yet: record the baseline build first, e.g. stella policy simulate POLICY --sbom FILE … --record --label release/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open, err := tc.r.Store(tc.db)
			if got := errText(err); got != tc.want || open != tc.open {
				t.Fatalf("Store() = %v, %q; want %v, %q", open, got, tc.open, tc.want)
			}
		})
	}
}

func TestBaselinesPrepare(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "stella.db"), "default", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if a, err := (Baselines{}).Prepare(ctx, nil, Snapshots{}); a != nil || err != nil || a.Compared() != nil || (*Outcome)(nil).Compared() != nil {
		t.Fatalf("Prepare(no baseline) = %v, %v", a, err)
	}
	_, err = Baselines{Run: "latest"}.Prepare(ctx, st, Snapshots{})
	if !fail.Is(err, fail.NotFound) || !strings.HasSuffix(errText(err), "; record the baseline build first, e.g. stella policy simulate POLICY --sbom FILE … --record --label main") {
		t.Fatalf("Prepare(latest) = %v", err)
	}
	none := Snapshots{Dir: t.TempDir(), DB: filepath.Join(t.TempDir(), "none.db")}
	if _, err := (Baselines{Snapshot: "abc"}).Prepare(ctx, nil, none); errText(err) != "snapshot abc not found" {
		t.Fatalf("Prepare(snapshot) = %v", err)
	}
}

func TestDiffRequestCheck(t *testing.T) {
	none, db := databases(t)
	for _, tc := range []struct {
		name string
		r    DiffRequest
		db   string
		runs bool
		open bool
		want string
	}{
		{"runs", DiffRequest{Old: "latest:main", New: "run:abc", FailOn: "new-warned"}, db, true, true, ""},
		{"runs fail-on", DiffRequest{Old: "latest", New: "latest", FailOn: "blocked"}, db, true, false, `--fail-on "blocked": want new-blocked, new-warned or never`},
		{"runs no history", DiffRequest{Old: "latest", New: "latest", FailOn: "never"}, none, true, false,
			"no run history at " + none + ": policy diff RUN_A RUN_B compares recorded runs (to compare policies give --snapshot ID)"},
		{"runs on a snapshot", DiffRequest{Old: "latest", New: "latest", Snapshot: "abc", FailOn: "never"}, none, false, false, ""},
		{"no snapshot", DiffRequest{Old: "a.stella", New: "latest", FailOn: "never"}, none, false, false,
			"policy diff needs --snapshot ID to compare two policies (or two runs: run ids, latest or latest:LABEL)"},
		{"policies fail-on", DiffRequest{Old: "a.stella", New: "b.stella", Snapshot: "abc", FailOn: "new-warned"}, none, false, false, `--fail-on "new-warned": want new-blocked or never`},
		{"files", DiffRequest{Old: "a.stella", New: "b.stella", Snapshot: "abc", FailOn: "never"}, none, false, false, ""},
		{"database", DiffRequest{Old: "a.stella", New: "b.stella", Snapshot: "abc", FailOn: "new-blocked"}, db, false, true, ""},
		{"registered", DiffRequest{Old: "P-1@1", New: "b.stella", Snapshot: "abc", FailOn: "never"}, none, false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Runs(); got != tc.runs {
				t.Errorf("Runs() = %v", got)
			}
			open, err := tc.r.Check(tc.db)
			if got := errText(err); got != tc.want || open != tc.open {
				t.Fatalf("Check() = %v, %q; want %v, %q", open, got, tc.open, tc.want)
			}
		})
	}
}

func TestEvalOptionsSpec(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 5e8, time.UTC)
	budget := func(n int) *int { return &n }
	noEnv := func(string) string { return "" }
	withEnv := func(k string) string {
		if k == store.BudgetEnv {
			return "3"
		}
		return ""
	}
	for _, tc := range []struct {
		name   string
		o      EvalOptions
		getenv func(string) string
		want   Spec
		err    string
	}{
		{"defaults", EvalOptions{UncheckedBudget: -1}, noEnv, Spec{At: now.Truncate(time.Second), MaxFeedAge: 7 * 24 * time.Hour}, ""},
		{"given", EvalOptions{AsOf: "2025-01-31T00:00:00Z", MaxFeedAge: "36h", UncheckedBudget: 2, BudgetFlag: true}, withEnv,
			Spec{At: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), MaxFeedAge: 36 * time.Hour, MaxFeedAgeGiven: true, UncheckedBudget: budget(2), UncheckedSource: store.BudgetFlag}, ""},
		{"inputs, env budget", EvalOptions{AsOf: "inputs", MaxFeedAge: "0", UncheckedBudget: 3}, withEnv,
			Spec{MaxFeedAgeGiven: true, UncheckedBudget: budget(3), UncheckedSource: store.BudgetEnv}, ""},
		{"config budget", EvalOptions{UncheckedBudget: 0}, noEnv, Spec{At: now.Truncate(time.Second), MaxFeedAge: 7 * 24 * time.Hour, UncheckedBudget: budget(0), UncheckedSource: store.BudgetConfig}, ""},
		{"bad as-of", EvalOptions{AsOf: "yesterday", UncheckedBudget: -1}, noEnv, Spec{},
			`--as-of "yesterday": want an RFC 3339 time like 2025-01-31T00:00:00Z, or "inputs" for the newest input timestamp`},
		{"bad budget", EvalOptions{UncheckedBudget: -2}, noEnv, Spec{}, "--unchecked-budget -2: give a number of components ≥ 0, or -1 for none"},
		{"bad age", EvalOptions{MaxFeedAge: "7 days", UncheckedBudget: -1}, noEnv, Spec{}, `--max-feed-age "7 days": want a duration like 365d or 12h`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.o.Spec(now, tc.getenv)
			if e := errText(err); e != tc.err {
				t.Fatalf("Spec() error %q, want %q", e, tc.err)
			}
			if err != nil {
				if !fail.Is(err, fail.Invalid) {
					t.Errorf("kind %v, want invalid", fail.KindOf(err))
				}
				return
			}
			if !got.At.Equal(tc.want.At) || got.MaxFeedAge != tc.want.MaxFeedAge || got.MaxFeedAgeGiven != tc.want.MaxFeedAgeGiven ||
				got.UncheckedSource != tc.want.UncheckedSource || (got.UncheckedBudget == nil) != (tc.want.UncheckedBudget == nil) ||
				got.UncheckedBudget != nil && *got.UncheckedBudget != *tc.want.UncheckedBudget {
				t.Errorf("Spec() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSimulateInputs(t *testing.T) {
	sbom := snapshot.Request{SBOMs: []string{"s.json"}}
	for _, tc := range []struct {
		name     string
		r        snapshot.Request
		sel      []string
		snapshot string
		want     []string
		err      string
	}{
		{"snapshot", snapshot.Request{}, nil, "abc", nil, ""},
		{"snapshot and files", snapshot.Request{KEV: "kev.json"}, nil, "abc", nil, "--snapshot and input files (--sbom, --advisories, --feeds, …) exclude each other"},
		{"snapshot and feeds", snapshot.Request{}, []string{"all"}, "abc", nil, "--snapshot and input files (--sbom, --advisories, --feeds, …) exclude each other"},
		{"no sbom", snapshot.Request{Advisories: []string{"osv"}}, nil, "", nil, "give at least one --sbom (with --advisories, --vex, …), or --snapshot"},
		{"feed cache", sbom, nil, "", []string{"auto"}, ""},
		{"feeds given", sbom, []string{"osv/PyPI"}, "", []string{"osv/PyPI"}, ""},
		{"advisories", snapshot.Request{SBOMs: []string{"s.json"}, Advisories: []string{"osv"}}, nil, "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SimulateInputs(tc.r, tc.sel, tc.snapshot)
			if e := errText(err); e != tc.err || len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
				t.Fatalf("SimulateInputs() = %q, %q; want %q, %q", got, e, tc.want, tc.err)
			}
		})
	}
}

func TestNoAdvisories(t *testing.T) {
	if err := NoAdvisories(snapshot.Spec{Advisories: []string{"osv"}}, "/c"); err != nil {
		t.Fatal(err)
	}
	sbom := "../../testdata/simulate/app.cdx.json"
	err := NoAdvisories(snapshot.Spec{SBOMs: []string{sbom}}, "/c")
	want := "no advisories to evaluate: give --advisories PATH or --snapshot ID, or pull feeds into the cache (/c) first: stella feeds pull --osv auto --sbom FILE --kev --epss"
	if errText(err) != want {
		t.Errorf("NoAdvisories() = %v, want %s", err, want)
	}
	if err := NoAdvisories(snapshot.Spec{SBOMs: []string{filepath.Join(t.TempDir(), "missing.json")}}, "/c"); err == nil || errText(err) == want {
		t.Errorf("NoAdvisories(missing SBOM) = %v, want the file named", err)
	}
}
