package run_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
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
	} {
		got, err := run.ParseAsOf(tc.in, time.Date(2026, 12, 5, 14, 30, 7, 999, time.FixedZone("CET", 3600)))
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("ParseAsOf(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
}

func TestRecordSet(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
