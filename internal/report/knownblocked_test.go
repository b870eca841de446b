package report

import (
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
)

// The fixtures TestSARIFKnownBlocked and TestJUnitLikeSARIF share: two
// blocked findings and a warned one, judged without a baseline, under
// new_findings_only, and against a delta under --fail-on new-blocked.

// knownBlocked is a blocked result: f1 and f2 blocked, f3 warned.
func knownBlocked() *engine.Result {
	return &engine.Result{Verdict: engine.VerdictBlocked, Findings: []engine.Finding{
		{FindingID: "f1", AdvisoryID: "A-1", Verdict: engine.VerdictBlocked, Enforced: true},
		{FindingID: "f2", AdvisoryID: "A-2", Verdict: engine.VerdictBlocked, Enforced: true},
		{FindingID: "f3", AdvisoryID: "A-3", Verdict: engine.VerdictWarned, Enforced: true},
	}}
}

// knownBlockedNewOnly is knownBlocked under new_findings_only: the gate
// lists f1 only (the baseline blocked f2 too).
func knownBlockedNewOnly() *engine.Result {
	r := knownBlocked()
	r.Gates = []engine.Gate{{Name: engine.GateNewFindings, Outcome: engine.GateBlock, Action: engine.GateBlock, Findings: []string{"f1"}}}
	return r
}

// knownBlockedDelta is knownBlocked with max-high blocking on f3 and the
// unchecked budget blocking, against a delta where f1 is new, f2 and f3
// unchanged and only the unchecked budget newly blocks.
func knownBlockedDelta() (*engine.Result, *delta.Delta) {
	r := knownBlocked()
	r.Gates = []engine.Gate{
		{Name: engine.GateMaxHigh, Outcome: engine.GateBlock, Action: engine.GateBlock, Findings: []string{"f3"}},
		{Name: engine.GateUnchecked, Outcome: engine.GateBlock, Action: engine.GateBlock},
	}
	d := &delta.Delta{Findings: []delta.Change{
		{Kind: delta.New, FindingID: "f1", NewVerdict: engine.VerdictBlocked},
		{Kind: delta.Unchanged, FindingID: "f2", OldVerdict: engine.VerdictBlocked, NewVerdict: engine.VerdictBlocked},
		{Kind: delta.Unchanged, FindingID: "f3", OldVerdict: engine.VerdictWarned, NewVerdict: engine.VerdictWarned},
	}}
	d.Summary.GatesNewlyBlocking = []string{engine.GateUnchecked}
	return r, d
}
