package engine

import (
	"testing"

	"github.com/stella-policy/stella/internal/match"
)

// BenchmarkRules measures rule evaluation alone: the 20-rule policy over a
// synthetic 100k-finding set, without traces. It reports rule evaluations
// per second (the target is ≥ 2M per core).
func BenchmarkRules(b *testing.B) {
	fx := synthetic(100_000)
	req := Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: at, NoExplain: true, Parallelism: 1}
	c := &compiler{env: fx.env, policyID: "p", evalTime: "2025-06-01T00:00:00Z"}
	prog, err := compileProgram(req.Policy, nil, c)
	if err != nil {
		b.Fatal(err)
	}
	prog.at, prog.atText = at, c.evalTime
	prog.sig, _ = newSignalIndex(req.Inputs)
	xs, _ := prepareExceptions(req.Inputs.Exceptions, at, "")
	prog.excs = newExceptionIndex(xs)
	s := &state{p: prog, stats: make([]RuleStat, len(prog.rules))}
	b.ResetTimer()
	for b.Loop() {
		for i := range fx.pairs {
			s.prepare(&fx.pairs[i])
			s.run()
		}
	}
	b.ReportMetric(float64(s.evals)/b.Elapsed().Seconds(), "rules/s")
}

// BenchmarkEvaluate measures a whole evaluation with explain traces and
// digests of the synthetic 100k-finding set, on one worker.
func BenchmarkEvaluate(b *testing.B) {
	fx := synthetic(100_000)
	for b.Loop() {
		if _, err := Evaluate(b.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs},
			Env: fx.env, At: at, Parallelism: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
