package report

import (
	"io"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
)

// HTML writes a whole evaluation as one self-contained page for auditors:
// the outcome, the inputs and their digests, the gates, the rules, the
// findings by attention, then every finding's explain trace (rule chain
// with conditions and operand values, evidence, VEX impacts, severity and
// risk computations, what would change). Findings appear in finding-id
// order in the traces, as in the result.
func HTML(w io.Writer, r *engine.Result) error {
	return ExplainHTML(w, ExplainPage{Explanation: run.Explanation{
		PolicyID: r.Policy.ID, IRDigest: r.Policy.Digest, EvaluationTime: r.EvaluationTime,
		Shadow: r.Shadow, Verdict: r.Verdict, Findings: r.Findings}, Result: r,
	})
}
