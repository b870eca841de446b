package run_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

const data = "../../testdata/simulate/"

func files() *snapshot.Spec {
	return &snapshot.Spec{SBOMs: []string{data + "app.cdx.json"}, Advisories: []string{data + "osv"},
		VEX: []string{data + "vex.openvex.json"}, KEV: data + "kev.json"}
}

func policy(t *testing.T) *run.Policy {
	t.Helper()
	p, err := run.LoadPolicy(context.Background(), nil, data+"policy.stella", store.PickLatest)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	env, err := run.ParseEnv([]string{"exposure=internet"})
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		at         time.Time
		baseline   bool
		wantChosen bool
	}{
		{"as-of given", asOf, false, false},
		{"time chosen from the inputs", time.Time{}, false, true},
		{"with a baseline", asOf, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := run.Spec{Policy: policy(t), Files: files(), Env: env, At: tc.at}
			if tc.baseline {
				spec.Baseline = policy(t)
			}
			var outs [2][]byte
			for i := range outs {
				out, err := run.Evaluate(ctx, spec)
				if err != nil {
					t.Fatal(err)
				}
				if out.AtChosen != tc.wantChosen || out.At.IsZero() {
					t.Fatalf("at %v chosen %v, want chosen %v", out.At, out.AtChosen, tc.wantChosen)
				}
				if !tc.at.IsZero() && !out.At.Equal(tc.at) {
					t.Fatalf("evaluated at %v, want %v", out.At, tc.at)
				}
				if out.SnapshotID() != "" {
					t.Fatalf("loose files have snapshot id %q", out.SnapshotID())
				}
				if tc.baseline && (out.Diff == nil || out.Diff.Summary.Changed != 0) {
					t.Fatalf("baseline diff of a policy with itself: %+v", out.Diff)
				}
				if outs[i], err = canon.Marshal(out.Result); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(outs[0], outs[1]) {
				t.Fatal("two evaluations of the same spec differ")
			}
		})
	}
}

func TestParseAsOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Date(2026, 12, 5, 13, 30, 7, 0, time.UTC), false},
		{"inputs", time.Time{}, false},
		{"2025-01-31T01:00:00+01:00", time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"2025-01-31", time.Time{}, true},
		{"0001-01-01T00:00:00Z", time.Time{}, true}, // the zero time, never taken for "not given"
		{"1969-12-31T23:59:59Z", time.Time{}, true},
		{"1970-01-01T00:00:00Z", time.Unix(0, 0).UTC(), false},
		{"9999-12-31T23:59:59Z", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), false},
	} {
		got, err := run.ParseAsOf(tc.in, time.Date(2026, 12, 5, 14, 30, 7, 999, time.FixedZone("CET", 3600)))
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("ParseAsOf(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestDefaultTime(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	advs := func(dates ...string) *model.Inputs {
		in := &model.Inputs{}
		for _, d := range dates {
			in.Advisories = append(in.Advisories, model.Advisory{Modified: d})
		}
		return in
	}
	for _, tc := range []struct {
		name   string
		in     *model.Inputs
		want   time.Time
		future int
		err    bool
	}{
		{"newest", advs("2024-01-01T00:00:00Z", "2024-06-01T10:00:00.5Z"), time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), 0, false},
		{"a 2099 record is left out", advs("2024-06-01T00:00:00Z", "2099-01-01T00:00:00Z"), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), 1, false},
		{"within the skew", advs("2026-12-06T11:59:59Z"), time.Date(2026, 12, 6, 11, 59, 59, 0, time.UTC), 0, false},
		{"past the skew", advs("2024-06-01T00:00:00Z", "2026-12-06T12:00:01Z"), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), 1, false},
		{"only future dates", advs("2099-01-01T00:00:00Z"), time.Time{}, 1, true},
		{"no dates", advs(""), time.Time{}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, future, err := run.DefaultTime(tc.in, now)
			if (err != nil) != tc.err || !at.Equal(tc.want) || future != tc.future {
				t.Errorf("DefaultTime = %v, %d, %v; want %v, %d, error %v", at, future, err, tc.want, tc.future, tc.err)
			}
		})
	}
}

// openStore opens a new store, closed when the test ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Evaluate(ctx, run.Spec{Policy: policy(t), Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Mode: store.ModeSimulate})
	if err != nil {
		t.Fatal(err)
	}
	first, err := run.Record(ctx, st, out, key)
	if err != nil {
		t.Fatal(err)
	}
	if first.Existing || first.Envelope == nil || first.Record.Outputs.Findings != out.Result.Digests.Findings {
		t.Fatalf("first recording: existing %v, envelope %v, findings %s", first.Existing, first.Envelope != nil, first.Record.Outputs.Findings)
	}
	again, err := run.Record(ctx, st, out, key)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.Record.RunID != first.Record.RunID || !bytes.Equal(again.Envelope, first.Envelope) {
		t.Fatalf("second recording: existing %v, run %s (first %s)", again.Existing, again.Record.RunID, first.Record.RunID)
	}
	// The lessons detector runs after every recording; a run teaches its
	// lessons once (docs/lessons.md).
	if out.Result.Verdict != engine.VerdictBlocked {
		t.Fatalf("the fixture run is %s; the lesson check wants a blocked one", out.Result.Verdict)
	}
	if first.LessonsErr != nil || len(first.Lessons) != 1 || first.Lessons[0].Type != "failure" {
		t.Errorf("first recording: lessons %+v, %v", first.Lessons, first.LessonsErr)
	}
	if again.LessonsErr != nil || len(again.Lessons) != 0 {
		t.Errorf("second recording: lessons %+v, %v", again.Lessons, again.LessonsErr)
	}
}

func TestRecordSet(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	set := []run.Member{{Policy: policy(t), Ref: "a.stella"}, {Policy: policy(t), Ref: "b.stella"}}
	out, err := run.Evaluate(ctx, run.Spec{Set: set, Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Mode: store.ModeRun})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := run.Record(ctx, st, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Record
	if r.Policy.PolicyID != run.SetPolicyID || r.Set == nil || r.Policy.IRDigest != r.Set.Digest || r.Set.Digest != out.Set.Set.Digest {
		t.Fatalf("record policy %+v, set %+v; evaluated set %s", r.Policy, r.Set, out.Set.Set.Digest)
	}
	if len(r.Set.Members) != 2 || r.Set.Members[1].Policy != "b.stella" || r.Set.Members[0].IRDigest != set[0].Digest ||
		r.Set.Members[0].SourceMapDigest == "" || !r.Set.Members[0].Applies {
		t.Fatalf("members %+v", r.Set.Members)
	}
	again, err := run.LoadSet(ctx, st, r.RunID, r.Set)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := run.Evaluate(ctx, run.Spec{Set: again, Files: files(), At: out.At})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Result.Digests != out.Result.Digests {
		t.Fatalf("replayed set: %+v, recorded %+v", ev.Result.Digests, out.Result.Digests)
	}
}

// TestRunID: the run id is run:<policy>:<evaluation time>:<12 hex> and
// changes with everything that decides the outputs.
func TestRunID(t *testing.T) {
	base := store.RunMeta{Mode: store.ModeRun, PolicyID: "base", IR: []byte(`{"ir":1}`),
		Env: []engine.KV{{Key: "exposure", Value: "internet"}}, EvaluationTime: "2026-01-02T03:04:05Z"}
	id := run.RunID(base, "sha256:in")
	if !strings.HasPrefix(id, "run:base:20260102T030405Z:") || len(id) != len("run:base:20260102T030405Z:")+12 {
		t.Fatalf("run id %s", id)
	}
	tests := []struct {
		name   string
		change func(m *store.RunMeta) string
	}{
		{"env", func(m *store.RunMeta) string {
			m.Env = []engine.KV{{Key: "exposure", Value: "internal"}}
			return "sha256:in"
		}},
		{"inputs", func(m *store.RunMeta) string { return "sha256:other" }},
		{"shadow", func(m *store.RunMeta) string { m.Shadow = true; return "sha256:in" }},
		{"mode", func(m *store.RunMeta) string { m.Mode = store.ModeSimulate; return "sha256:in" }},
		{"IR", func(m *store.RunMeta) string { m.IR = []byte(`{"ir":2}`); return "sha256:in" }},
	}
	for _, tt := range tests {
		m := base
		if got := run.RunID(m, tt.change(&m)); got == id {
			t.Errorf("%s does not change the run id %s", tt.name, got)
		}
	}
	if got := run.RunID(store.RunMeta{PolicyID: "a b/c", EvaluationTime: "x"}, ""); !strings.HasPrefix(got, "run:a-b-c:00010101T000000Z:") {
		t.Errorf("odd policy name and time: %s", got)
	}
}
