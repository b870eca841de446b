package engine

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

func evalBytes(t *testing.T, fx fixture, parallel int) []byte {
	t.Helper()
	res, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs},
		Env: fx.env, At: at, Parallelism: parallel})
	if err != nil {
		t.Fatal(err)
	}
	b, err := canon.Append(nil, res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeterminism: the same inputs in any order, evaluated with any number
// of workers, give byte-identical results.
func TestDeterminism(t *testing.T) {
	base := synthetic(1500)
	want := evalBytes(t, base, 1)
	r := rand.New(rand.NewPCG(7, 8))

	t.Run("8 workers", func(t *testing.T) {
		if got := evalBytes(t, base, 8); !bytes.Equal(got, want) {
			t.Fatal("8-way parallel evaluation differs from sequential")
		}
	})
	t.Run("shuffled components and advisories", func(t *testing.T) {
		fx := base
		fx.pairs = slices.Clone(base.pairs)
		r.Shuffle(len(fx.pairs), func(i, j int) { fx.pairs[i], fx.pairs[j] = fx.pairs[j], fx.pairs[i] })
		if got := evalBytes(t, fx, 3); !bytes.Equal(got, want) {
			t.Fatal("shuffling pairs changed the result")
		}
	})
	t.Run("shuffled VEX statements", func(t *testing.T) {
		fx := base
		fx.pairs = slices.Clone(base.pairs)
		for i := range fx.pairs {
			v := slices.Clone(fx.pairs[i].VEX)
			r.Shuffle(len(v), func(a, b int) { v[a], v[b] = v[b], v[a] })
			fx.pairs[i].VEX = v
		}
		if got := evalBytes(t, fx, 2); !bytes.Equal(got, want) {
			t.Fatal("shuffling VEX statements changed the result")
		}
	})
	t.Run("shuffled signals and exceptions", func(t *testing.T) {
		fx := base
		fx.inputs.KEV = &model.KEV{Entries: slices.Clone(base.inputs.KEV.Entries)}
		fx.inputs.Exceptions = slices.Clone(base.inputs.Exceptions)
		fx.inputs.Reach = slices.Clone(base.inputs.Reach)
		r.Shuffle(len(fx.inputs.KEV.Entries), func(a, b int) {
			fx.inputs.KEV.Entries[a], fx.inputs.KEV.Entries[b] = fx.inputs.KEV.Entries[b], fx.inputs.KEV.Entries[a]
		})
		r.Shuffle(len(fx.inputs.Exceptions), func(a, b int) {
			fx.inputs.Exceptions[a], fx.inputs.Exceptions[b] = fx.inputs.Exceptions[b], fx.inputs.Exceptions[a]
		})
		// The input digests are over the canonical (sorted) inputs, which a
		// reader produces; give the same digests so only evaluation is compared.
		got, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs},
			Env: fx.env, At: at, InputDigests: digestsOf(t, base)})
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := Evaluate(t.Context(), Request{Policy: base.pol, Inputs: &base.inputs, Match: &match.Result{Pairs: base.pairs},
			Env: base.env, At: at, InputDigests: digestsOf(t, base)})
		if got.Digests != ref.Digests {
			t.Fatal("shuffling signals and exceptions changed the result")
		}
	})
	t.Run("shuffled rule declarations", func(t *testing.T) {
		fx := base
		rules := slices.Clone(base.pol.Rules)
		r.Shuffle(len(rules), func(a, b int) { rules[a], rules[b] = rules[b], rules[a] })
		sortRules(rules) // what the compiler does with any declaration order
		p := *base.pol
		p.Rules = rules
		fx.pol = &p
		if got := evalBytes(t, fx, 4); !bytes.Equal(got, want) {
			t.Fatal("rule declaration order changed the result")
		}
	})
	t.Run("env order and key case", func(t *testing.T) {
		fx := base
		fx.env = []KV{{Key: "Deployment", Value: "canary"}, {Key: "RUNTIME", Value: "legacy"}, {Key: "exposure", Value: "internet"}}
		if got := evalBytes(t, fx, 1); !bytes.Equal(got, want) {
			t.Fatal("env order or key case changed the result")
		}
	})
}

func digestsOf(t *testing.T, fx fixture) *InputsRef {
	res, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: at, NoExplain: true})
	if err != nil {
		t.Fatal(err)
	}
	return &res.Inputs
}

// TestEvaluateErrors: requests the engine cannot run fail with a message.
func TestEvaluateErrors(t *testing.T) {
	fx := synthetic(4)
	bad := *fx.pol
	bad.Rules = []ir.Rule{rule("r", nil, ref("sbom", "nope"), setStatus(str("blocked")))}
	cases := map[string]Request{
		"no policy":       {Inputs: &fx.inputs, Match: &match.Result{}, At: at},
		"no time":         {Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{}},
		"duplicate env":   {Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{}, At: at, Env: []KV{{"a", "1"}, {"A", "2"}}},
		"unknown field":   {Policy: &bad, Inputs: &fx.inputs, Match: &match.Result{}, At: at},
		"duplicate pairs": {Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: []match.Pair{fx.pairs[0], fx.pairs[0]}}, At: at},
	}
	for name, req := range cases {
		if _, err := Evaluate(t.Context(), req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
