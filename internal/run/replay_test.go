package run_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// TestCompare replays an evaluation against recorded findings that agree
// with it, or were changed, dropped or added to, and checks the first
// difference Compare names.
func TestCompare(t *testing.T) {
	res := evaluate(t).Result
	if len(res.Findings) < 2 {
		t.Fatalf("fixture has %d findings", len(res.Findings))
	}
	// recorded is the findings as the store keeps them: canonical JSON
	// without traces, in finding id order.
	recorded := func(edit func(fs []json.RawMessage) []json.RawMessage) []byte {
		var fs []json.RawMessage
		for _, f := range res.Findings {
			f.Explain = nil
			b, err := canon.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, b)
		}
		var b []byte
		for _, f := range edit(fs) {
			b = append(append(b, ','), f...)
		}
		return append(append([]byte("["), b[1:]...), ']')
	}
	same := run.ReplayDigests{Findings: len(res.Findings), FindingsDigest: res.Digests.Findings, ExplainsDigest: res.Digests.Explains}
	other := same
	other.FindingsDigest = "sha256:00"
	first, last := res.Findings[0].FindingID, res.Findings[len(res.Findings)-1].FindingID
	for _, tc := range []struct {
		name       string
		digests    run.ReplayDigests
		edit       func(fs []json.RawMessage) []json.RawMessage
		wantID     string // "" for no first difference
		wantKind   string
		wantFields []string
	}{
		{"identical", same, func(fs []json.RawMessage) []json.RawMessage { return fs }, "", "", nil},
		{"digests differ, findings agree", other, func(fs []json.RawMessage) []json.RawMessage { return fs }, "", "", nil},
		{"changed verdict", other, func(fs []json.RawMessage) []json.RawMessage {
			fs[0] = bytes.Replace(fs[0], []byte(`"verdict":"`+res.Findings[0].Verdict+`"`), []byte(`"verdict":"tampered"`), 1)
			return fs
		}, first, "changed", []string{"verdict"}},
		{"missing from the replay", other, func(fs []json.RawMessage) []json.RawMessage {
			return append(fs, json.RawMessage(`{"findingId":"zzzz"}`))
		}, "zzzz", "missing", nil},
		{"extra in the replay", other, func(fs []json.RawMessage) []json.RawMessage { return fs[:len(fs)-1] }, last, "extra", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := run.Compare("run:x", tc.digests, recorded(tc.edit), res)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Identical != (tc.digests == same) || rep.RunID != "run:x" || rep.Replay != same {
				t.Fatalf("identical %v, run %s, replay %+v", rep.Identical, rep.RunID, rep.Replay)
			}
			switch {
			case tc.wantID == "" && rep.First != nil:
				t.Fatalf("first difference %s %s %v, want none", rep.First.FindingID, rep.First.Kind, rep.First.Fields)
			case tc.wantID != "" && (rep.First == nil || rep.First.FindingID != tc.wantID || rep.First.Kind != tc.wantKind || !slices.Equal(rep.First.Fields, tc.wantFields)):
				t.Fatalf("first difference %v, want %s %s %v", rep.First != nil, tc.wantID, tc.wantKind, tc.wantFields)
			}
		})
	}
	if _, err := run.Compare("run:x", other, []byte("{"), res); err == nil {
		t.Fatal("undecodable recorded findings: no error")
	}
}

// evaluate evaluates the fixture at 2025-06-01.
func evaluate(t *testing.T) *run.Outcome {
	t.Helper()
	out, err := run.Evaluate(context.Background(), run.Spec{Policy: policy(t), Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecordedBudget: the budget a replay evaluates with comes from the
// record unless the policy set it; a record made before budgets were
// recorded takes it from its stored result's gate.
func TestRecordedBudget(t *testing.T) {
	n := func(i int) *int { return &i }
	gate := func(threshold int64) *engine.Result {
		return &engine.Result{Gates: []engine.Gate{{Name: engine.GateUnchecked, Threshold: decimal.Int(threshold)}}}
	}
	for _, tc := range []struct {
		name string
		rec  store.RunRecord
		res  *engine.Result
		want *int
	}{
		{"none", store.RunRecord{Stats: store.RecordStats{Unchecked: n(3)}}, nil, nil},
		{"flag", store.RunRecord{Stats: store.RecordStats{Unchecked: n(3)},
			Inputs: store.RecordInputs{UncheckedBudget: &store.RecordBudget{Budget: decimal.Int(0), Source: store.BudgetFlag}}}, gate(7), n(0)},
		{"policy", store.RunRecord{Stats: store.RecordStats{Unchecked: n(3)},
			Inputs: store.RecordInputs{UncheckedBudget: &store.RecordBudget{Budget: decimal.Int(5), Source: store.BudgetPolicy}}}, nil, nil},
		{"old record, gate in the result", store.RunRecord{}, gate(2), n(2)},
		{"old record, no gate", store.RunRecord{}, &engine.Result{}, nil},
		{"new record ignores the result", store.RunRecord{Stats: store.RecordStats{Unchecked: n(3)}}, gate(2), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run.RecordedBudget(&tc.rec, tc.res)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
