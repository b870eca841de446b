package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// TestReplayTable renders `policy replay`'s terminal form of an identical
// replay, an unverified and a verified evidence replay, and a differing
// one.
func TestReplayTable(t *testing.T) {
	d := run.ReplayDigests{Findings: 2, FindingsDigest: "sha256:f1", ExplainsDigest: "sha256:e1"}
	d2 := run.ReplayDigests{Findings: 1, FindingsDigest: "sha256:f2", ExplainsDigest: "sha256:e2"}
	yes, no := true, false
	for _, tc := range []struct {
		name string
		rep  run.ReplayReport
		want string
	}{
		{"identical", run.ReplayReport{RunID: "run:a", Identical: true, Original: d, Replay: d},
			"identical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"evidence unverified", run.ReplayReport{RunID: "run:a", Evidence: "ev.tar", Verified: &no, Identical: true, Original: d, Replay: d},
			"evidence ev.tar, UNVERIFIED (no trusted key given), replayed with no database\nidentical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"evidence verified", run.ReplayReport{RunID: "run:a", Evidence: "ev.tar", Verified: &yes, Identical: true, Original: d, Replay: d},
			"evidence ev.tar, verified, replayed with no database\nidentical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"different", run.ReplayReport{RunID: "run:a", Original: d, Replay: d2,
			First: &run.ReplayFinding{FindingID: "finding:1", Kind: "changed", Fields: []string{"verdict"},
				Original: json.RawMessage(`{"verdict":"blocked"}`), Replay: json.RawMessage(`{"verdict":"passed"}`)}},
			"DIFFERENT run:a\n" +
				"  recorded  2 findings, findings sha256:f1, explains sha256:e1\n" +
				"  replayed  1 findings, findings sha256:f2, explains sha256:e2\n" +
				"  first difference: finding:1 (changed) in [verdict]\n" +
				"    recorded  {\"verdict\":\"blocked\"}\n" +
				"    replayed  {\"verdict\":\"passed\"}\n"},
		{"missing finding", run.ReplayReport{RunID: "run:a", Original: d, Replay: d2,
			First: &run.ReplayFinding{FindingID: "finding:2", Kind: "missing", Original: json.RawMessage(`{}`)}},
			"DIFFERENT run:a\n" +
				"  recorded  2 findings, findings sha256:f1, explains sha256:e1\n" +
				"  replayed  1 findings, findings sha256:f2, explains sha256:e2\n" +
				"  first difference: finding:2 (missing)\n" +
				"    recorded  {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := ReplayTable(&b, &tc.rep, Options{}); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestRunTables renders policy run's summary, policy history's table and
// policy runs show's fields, plain, for a policy version, a policy set run
// and an empty history.
// renderCase is a rendering and the text it must give.
type renderCase struct {
	name   string
	render func(w *bytes.Buffer) error
	want   string
}

func checkRenders(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestRunTables(t *testing.T) {
	set := &store.RecordSet{Digest: "sha256:s", Members: []store.RecordMember{
		{Policy: "P-1@2", IRDigest: "sha256:i1", Enforcement: "enforce", Scope: "all", Applies: true, Lifecycle: "active"},
		{Policy: "p.stella", IRDigest: "sha256:i2", Enforcement: "audit", Scope: "env.tier == \"prod\""},
	}}
	stored := &store.Run{RunID: "run:a", PolicyID: "P-1", PolicyVersion: 2, IRDigest: "sha256:i1", Mode: "run", Status: "succeeded",
		Verdict: "blocked", Findings: 3, InputsHash: "sha256:in", EvaluationTime: "2025-06-01T00:00:00Z", StartedAt: "2025-06-01T00:00:01Z", DurationMS: 1500}
	rec := store.RunRecord{}
	rec.Stats.ByVerdict.Blocked, rec.Stats.ByVerdict.Passed, rec.Stats.RulesFired = 1, 2, 4
	rec.Inputs.Env = []engine.KV{{Key: "tier", Value: "prod"}}
	setRec := rec
	setRec.Set = set
	// rec records its unchecked count and budget; setRec, made before
	// they were recorded, neither.
	three := 3
	rec.Stats.Unchecked, rec.Inputs.UncheckedBudget = &three, &store.RecordBudget{Budget: decimal.Int(0), Source: store.BudgetFlag}
	checkRenders(t, []renderCase{
		{"summary, signed version", func(w *bytes.Buffer) error {
			return RunSummary(w, &run.Summary{RunID: "run:a", PolicyID: "P-1", PolicyVersion: 2, IRDigest: "sha256:i1", SnapshotID: "snap:1",
				EvaluationTime: "2025-06-01T00:00:00Z", Verdict: "blocked", Findings: 3, ByVerdict: engine.VerdictCounts{Blocked: 1, Passed: 2},
				Signed: true, Signer: "k1"}, Options{})
		}, "run run:a\n  policy    P-1@2 sha256:i1\n  snapshot  snap:1\n  evaluated 2025-06-01T00:00:00Z\n  verdict   BLOCKED\n" +
			"  findings  3: 1 blocked, 0 warned, 2 passed, 0 quieted, 0 ignored\n  signed    policy.run@1 by k1\n"},
		{"summary, unchecked and budget", func(w *bytes.Buffer) error {
			return RunSummary(w, &run.Summary{RunID: "run:a", PolicyID: "P-1", PolicyVersion: 2, IRDigest: "sha256:i1", SnapshotID: "snap:1",
				EvaluationTime: "2025-06-01T00:00:00Z", Verdict: "blocked", Unchecked: &three,
				UncheckedByEcosystem: []engine.EcosystemCount{{Ecosystem: "Debian:12", Components: 2}, {Ecosystem: "PyPI", Components: 1}},
				UncheckedBudget:      rec.Inputs.UncheckedBudget}, Options{})
		}, "run run:a\n  policy    P-1@2 sha256:i1\n  snapshot  snap:1\n  evaluated 2025-06-01T00:00:00Z\n  verdict   BLOCKED\n" +
			"  findings  0: 0 blocked, 0 warned, 0 passed, 0 quieted, 0 ignored\n" +
			"  unchecked 3 components (Debian:12 2, PyPI 1), budget 0 (--unchecked-budget)\n  signed    no\n"},
		{"summary, set, shadow, again, unsigned", func(w *bytes.Buffer) error {
			return RunSummary(w, &run.Summary{RunID: "run:b", Existing: true, PolicyID: "set", IRDigest: "sha256:s", SnapshotID: "snap:1",
				EvaluationTime: "2025-06-01T00:00:00Z", Shadow: true, Verdict: "passed", Set: set}, Options{})
		}, "run run:b (already recorded: same policy, inputs, env and time)\n  policy    set sha256:s\n" +
			"    P-1@2 sha256:i1 enforce scope all active\n    p.stella sha256:i2 audit scope env.tier == \"prod\" (did not apply)\n" +
			"  snapshot  snap:1\n  evaluated 2025-06-01T00:00:00Z\n  verdict   PASSED (shadow: not enforced)\n" +
			"  findings  0: 0 blocked, 0 warned, 0 passed, 0 quieted, 0 ignored\n  signed    no\n"},
		{"empty history", func(w *bytes.Buffer) error { return History(w, run.History{}, Options{}) }, "no runs recorded\n"},
		{"history", func(w *bytes.Buffer) error {
			sh := *stored
			sh.Shadow, sh.RunID, sh.Unchecked = true, "run:b", &three
			return History(w, run.History{stored, &sh}, Options{})
		}, "" +
			"+-------+--------+--------------+-----------+---------+----------+-----------+----------------------+----------+\n" +
			"| RUN   | POLICY | MODE         | STATUS    | VERDICT | FINDINGS | UNCHECKED | STARTED              | DURATION |\n" +
			"+-------+--------+--------------+-----------+---------+----------+-----------+----------------------+----------+\n" +
			"| run:a | P-1@2  | run          | succeeded | BLOCKED | 3        | –         | 2025-06-01T00:00:01Z | 1.5s     |\n" +
			"| run:b | P-1@2  | run (shadow) | succeeded | BLOCKED | 3        | 3         | 2025-06-01T00:00:01Z | 1.5s     |\n" +
			"+-------+--------+--------------+-----------+---------+----------+-----------+----------------------+----------+\n"},
		{"show", func(w *bytes.Buffer) error {
			r := *stored
			r.Unchecked = &three
			return StoredRun(w, &run.Stored{Run: &r, Record: rec}, Options{})
		}, "" +
			"run              run:a\npolicy           P-1@2\nir digest        sha256:i1\nmode             run, shadow false\n" +
			"status           succeeded\nverdict          BLOCKED\nsnapshot         –\ninputs hash      sha256:in\n" +
			"evaluation time  2025-06-01T00:00:00Z\nstarted          2025-06-01T00:00:01Z\nduration         1500ms\n" +
			"findings         3 (passed 2, warned 0, blocked 1, quieted 0, ignored 0)\nrules fired      4\nunknowns         0\nunchecked        3\n" +
			"findings digest  –\nexplains digest  –\nsigned           false\nunchecked budget 0 (--unchecked-budget)\nenv tier         prod\n"},
		{"show, set run", func(w *bytes.Buffer) error { return StoredRun(w, &run.Stored{Run: stored, Record: setRec}, Options{}) }, "" +
			"run              run:a\npolicy           P-1@2\nir digest        sha256:i1\n" +
			"set member       P-1@2 sha256:i1 enforce scope all active\nset member       p.stella sha256:i2 audit scope env.tier == \"prod\" (did not apply)\n" +
			"mode             run, shadow false\n" +
			"status           succeeded\nverdict          BLOCKED\nsnapshot         –\ninputs hash      sha256:in\n" +
			"evaluation time  2025-06-01T00:00:00Z\nstarted          2025-06-01T00:00:01Z\nduration         1500ms\n" +
			"findings         3 (passed 2, warned 0, blocked 1, quieted 0, ignored 0)\nrules fired      4\nunknowns         0\nunchecked        –\n" +
			"findings digest  –\nexplains digest  –\nsigned           false\nenv tier         prod\n"},
	})
}

// TestSimulation checks the JSON form of a simulation alone, with a delta
// and with a baseline policy, and that the table is followed by the diff
// or the delta.
func TestSimulation(t *testing.T) {
	r := result(t)
	d := &delta.Delta{Baseline: delta.Baseline{Kind: "run", Ref: "run:a"}}
	diff := &engine.Diff{}
	for _, tc := range []struct {
		name     string
		diff     *engine.Diff
		d        *delta.Delta
		wantKeys []string
		tail     string
	}{
		{"alone", nil, nil, []string{"findings", "verdict"}, ""},
		{"delta", nil, d, []string{"findings", "delta"}, "run:a"},
		{"baseline policy", diff, nil, []string{"schemaVersion", "candidate", "baseline", "diff"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, SimulationValue(r, r, tc.diff, tc.d)); err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.wantKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("JSON has no %q", k)
				}
			}
			var table, alone bytes.Buffer
			if err := Simulation(&table, "table", r, tc.diff, Options{Delta: tc.d}); err != nil {
				t.Fatal(err)
			}
			Table(&alone, r, Options{Delta: tc.d})
			if !bytes.HasPrefix(table.Bytes(), alone.Bytes()) || (tc.diff == nil && tc.d == nil) != (table.Len() == alone.Len()) ||
				!bytes.Contains(table.Bytes()[alone.Len():], []byte(tc.tail)) {
				t.Errorf("table:\n%s", table.String())
			}
			var sarif, direct bytes.Buffer
			Simulation(&sarif, "sarif", r, tc.diff, Options{})
			Write(&direct, "sarif", r, Options{})
			if !bytes.Equal(sarif.Bytes(), direct.Bytes()) {
				t.Error("sarif differs from Write's")
			}
		})
	}
}

// TestVerified renders policy verify's outcome for an evidence archive
// (trusted, and with its own shipped key) and a set run's envelope.
func TestVerified(t *testing.T) {
	ev := &run.VerifyReport{File: "e.tar", Kind: "evidence", RunID: "run:a", Signers: []string{"k1"}, Findings: 2,
		StoredRun: "not needed", ManifestSigners: []string{"k2"}, Inputs: 3, Source: true}
	embedded := *ev
	embedded.EmbeddedKey, embedded.Source, embedded.ManifestSigners = true, false, nil
	env := &run.VerifyReport{File: "r.json", Kind: "envelope", RunID: "run:b", Signers: []string{"k1"}, Findings: 1, StoredRun: "no database",
		Policy: "set", IRDigest: "sha256:s", Set: &store.RecordSet{Members: []store.RecordMember{{Policy: "P-1@1", IRDigest: "sha256:i", Enforcement: "enforce", Scope: "all", Applies: true}}}}
	checkRenders(t, []renderCase{
		{"evidence", func(w *bytes.Buffer) error { return Verified(w, ev, Options{}) }, "verified evidence: e.tar, run run:a, 2 findings\n" +
			"  signed by k1 (trusted key)\n  archive manifest signed by k2 (every entry: source, IR, source map, inputs, record)\n" +
			"  inputs: 3 files checked against snapshot manifest; policy source: compiles to the attested IR\n  stored run: not needed\n"},
		{"embedded key", func(w *bytes.Buffer) error { return Verified(w, &embedded, Options{}) }, "verified evidence: e.tar, run run:a, 2 findings\n" +
			"  signed by k1 (INSECURE: key shipped in the archive, not independently trusted)\n" +
			"  inputs: 3 files checked against snapshot manifest; policy source: not in the archive\n  stored run: not needed\n"},
		{"envelope of a set run", func(w *bytes.Buffer) error { return Verified(w, env, Options{}) }, "verified envelope: r.json, run run:b, 1 findings\n" +
			"  signed by k1 (trusted key)\n  policy set sha256:s\n    P-1@1 sha256:i enforce scope all\n  stored run: no database\n"},
	})
}

func TestOpenMetrics(t *testing.T) {
	m := &run.Metrics{Tenant: "acme", Runs: 3, ByStatus: map[string]int{"succeeded": 2, "failed": 1}, Buckets: []int{0, 1, 1, 2, 2, 2, 3, 3, 3},
		SumSeconds: 12.3456, Unfrozen: 4, Shadow: 1, ByVerdict: map[string]int{"blocked": 5, "passed": 7}}
	checkRenders(t, []renderCase{{"metrics", func(w *bytes.Buffer) error { return OpenMetrics(w, m) }, `# TYPE policy_runs counter
# HELP policy_runs Policy runs recorded, by status.
policy_runs_total{status="failed",tenant="acme"} 1
policy_runs_total{status="succeeded",tenant="acme"} 2
# TYPE policy_run_duration_seconds histogram
# UNIT policy_run_duration_seconds seconds
# HELP policy_run_duration_seconds Wall-clock duration of recorded runs.
policy_run_duration_seconds_bucket{tenant="acme",le="0.1"} 0
policy_run_duration_seconds_bucket{tenant="acme",le="0.25"} 1
policy_run_duration_seconds_bucket{tenant="acme",le="0.5"} 1
policy_run_duration_seconds_bucket{tenant="acme",le="1"} 2
policy_run_duration_seconds_bucket{tenant="acme",le="2.5"} 2
policy_run_duration_seconds_bucket{tenant="acme",le="5"} 2
policy_run_duration_seconds_bucket{tenant="acme",le="10"} 3
policy_run_duration_seconds_bucket{tenant="acme",le="30"} 3
policy_run_duration_seconds_bucket{tenant="acme",le="60"} 3
policy_run_duration_seconds_bucket{tenant="acme",le="+Inf"} 3
policy_run_duration_seconds_sum{tenant="acme"} 12.346
policy_run_duration_seconds_count{tenant="acme"} 3
# TYPE policy_inputs_unfrozen counter
# HELP policy_inputs_unfrozen Runs refused because their inputs were not frozen.
policy_inputs_unfrozen_total{tenant="acme"} 4
# TYPE policy_shadow_runs counter
# HELP policy_shadow_runs Shadow runs recorded.
policy_shadow_runs_total{tenant="acme"} 1
# TYPE policy_findings counter
# HELP policy_findings Findings of succeeded runs, by verdict.
policy_findings_total{tenant="acme",verdict="passed"} 7
policy_findings_total{tenant="acme",verdict="warned"} 0
policy_findings_total{tenant="acme",verdict="blocked"} 5
policy_findings_total{tenant="acme",verdict="quieted"} 0
policy_findings_total{tenant="acme",verdict="ignored"} 0
# EOF
`}})
}

func TestSetMembers(t *testing.T) {
	res := &policyset.Result{Set: policyset.Info{Digest: "sha256:s", Uncovered: 2, Members: []policyset.MemberInfo{
		{Policy: "P-1@1", Name: "gate", Enforcement: "enforce", Scope: "all", Applies: true, Findings: 3, Verdict: "blocked", Decided: 1, Digest: "sha256:i"}}}}
	checkRenders(t, []renderCase{{"set", func(w *bytes.Buffer) error { return SetMembers(w, res, Options{}) }, "\nset sha256:s (1 policies)\n" +
		"+--------+------+-------------+-------+---------+----------+---------+---------+-----------+\n" +
		"| POLICY | NAME | ENFORCEMENT | SCOPE | APPLIES | FINDINGS | VERDICT | DECIDED | IR DIGEST |\n" +
		"+--------+------+-------------+-------+---------+----------+---------+---------+-----------+\n" +
		"| P-1@1  | gate | enforce     | all   | true    | 3        | blocked | 1       | sha256:i  |\n" +
		"+--------+------+-------------+-------+---------+----------+---------+---------+-----------+\n" +
		"2 findings are in no evaluated policy's scope\n"}})
}

func TestViolations(t *testing.T) {
	vs := run.Violations{{Verdict: "blocked", Severity: "Critical", Purl: "pkg:npm/a@1", AdvisoryID: "GHSA-1", Runs: 2, FirstSeen: "2025-06-01T00:00:00Z",
		LastSeen: "2025-06-02T00:00:00Z", Policies: []string{"P-1", "P-2"}, Sources: []string{"run"}}}
	checkRenders(t, []renderCase{
		{"none", func(w *bytes.Buffer) error { return Violations(w, run.Violations{}, Options{}) }, "" +
			"+---------+----------+------+----------+------+------------+-----------+----------+---------+\n" +
			"| VERDICT | SEVERITY | PURL | ADVISORY | RUNS | FIRST SEEN | LAST SEEN | POLICIES | SOURCES |\n" +
			"+---------+----------+------+----------+------+------------+-----------+----------+---------+\n0 violations\n"},
		{"one", func(w *bytes.Buffer) error { return Violations(w, vs, Options{}) }, "" +
			"+---------+----------+-------------+----------+------+----------------------+----------------------+----------+---------+\n" +
			"| VERDICT | SEVERITY | PURL        | ADVISORY | RUNS | FIRST SEEN           | LAST SEEN            | POLICIES | SOURCES |\n" +
			"+---------+----------+-------------+----------+------+----------------------+----------------------+----------+---------+\n" +
			"| blocked | Critical | pkg:npm/a@1 | GHSA-1   | 2    | 2025-06-01T00:00:00Z | 2025-06-02T00:00:00Z | P-1,P-2  | run     |\n" +
			"+---------+----------+-------------+----------+------+----------------------+----------------------+----------+---------+\n1 violations\n"},
	})
}
