package engine

import (
	"maps"
	"testing"
)

// TestBaselineBlocked: the blocked findings the new-findings-only gate does
// not list, and whether there is such a gate.
func TestBaselineBlocked(t *testing.T) {
	fs := []Finding{
		{FindingID: "f1", Verdict: VerdictBlocked},
		{FindingID: "f2", Verdict: VerdictBlocked},
		{FindingID: "f3", Verdict: VerdictWarned},
	}
	for _, tc := range []struct {
		name  string
		gates []Gate
		want  map[string]bool
		ok    bool
	}{
		{"no gate", []Gate{{Name: GateMaxHigh, Findings: []string{"f1"}}}, nil, false},
		{"one new", []Gate{{Name: GateNewFindings, Outcome: GateBlock, Findings: []string{"f1"}}}, map[string]bool{"f2": true}, true},
		{"none new", []Gate{{Name: GateNewFindings, Outcome: GateWarn}}, map[string]bool{"f1": true, "f2": true}, true},
		{"all new", []Gate{{Name: GateNewFindings, Outcome: GateBlock, Findings: []string{"f1", "f2"}}}, map[string]bool{}, true},
	} {
		got, ok := (&Result{Findings: fs, Gates: tc.gates}).BaselineBlocked()
		if ok != tc.ok || !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
