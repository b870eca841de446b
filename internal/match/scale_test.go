package match_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/synth"
)

// synthetic caches the inputs of each synthetic set across -count runs.
var synthetic sync.Map // synth.Config → *model.Inputs

func syntheticInputs(b *testing.B, c synth.Config) *model.Inputs {
	b.Helper()
	if in, ok := synthetic.Load(c); ok {
		return in.(*model.Inputs)
	}
	dir, err := os.MkdirTemp("", "join")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f, err := synth.Write(dir, c, synth.Zip)
	if err != nil {
		b.Fatal(err)
	}
	read := func(p string, k inputs.Kind) *inputs.Input {
		in, err := inputs.Read(p, inputs.Options{Kind: k})
		if err != nil {
			b.Fatal(err)
		}
		return in
	}
	in := &model.Inputs{SBOMs: []model.SBOM{*read(f.SBOM, inputs.KindSBOM).SBOM},
		Advisories: read(f.Advisories, inputs.KindAdvisories).Advisories, VEX: read(f.VEX, inputs.KindVEX).VEX}
	synthetic.Store(c, in)
	return in
}

// BenchmarkJoinSynthetic joins synthetic SBOMs with twice as many
// advisories and a VEX statement per ten components, from 10k to 100k
// components: the cost should grow linearly (see docs/performance.md).
func BenchmarkJoinSynthetic(b *testing.B) {
	for _, n := range []int{10_000, 50_000, 100_000} {
		b.Run(fmt.Sprintf("components=%d/advisories=%d", n, 2*n), func(b *testing.B) {
			in := syntheticInputs(b, synth.Config{Seed: 1, Components: n, Advisories: 2 * n, VEX: n / 10})
			var pairs int
			b.ReportAllocs()
			for b.Loop() {
				res, err := match.Join(in, match.Options{})
				if err != nil {
					b.Fatal(err)
				}
				pairs = len(res.Pairs)
			}
			b.ReportMetric(float64(pairs), "findings")
		})
	}
}
