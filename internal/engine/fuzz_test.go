package engine

import (
	"testing"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
)

// FuzzEvaluate feeds arbitrary IR documents to the engine: whatever
// ir.Decode accepts must evaluate without panicking, either failing with an
// error or giving the same result twice.
func FuzzEvaluate(f *testing.F) {
	for _, p := range []*ir.Policy{twentyRules(), gateFixture().pol} {
		b, err := ir.Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fx := synthetic(40)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ir.Decode(b)
		if err != nil {
			return
		}
		req := Request{Policy: p, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: at}
		r1, err := Evaluate(t.Context(), req)
		if err != nil {
			return
		}
		req.Parallelism = 3
		r2, err := Evaluate(t.Context(), req)
		if err != nil {
			t.Fatalf("second evaluation failed: %v", err)
		}
		if r1.Digests != r2.Digests {
			t.Fatalf("digests differ: %+v vs %+v", r1.Digests, r2.Digests)
		}
	})
}
