package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

var small = Config{Seed: 7, Components: 400, Advisories: 1500, VEX: 120, Hit: 0.3}

// TestDeterministic: the same Config writes the same bytes; another seed
// writes other bytes.
func TestDeterministic(t *testing.T) {
	for _, layout := range []Layout{Zip, Dir} {
		a, b := t.TempDir(), t.TempDir()
		fa, err := Write(a, small, layout)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Write(b, small, layout); err != nil {
			t.Fatal(err)
		}
		if got, want := tree(t, b), tree(t, a); !equalTrees(got, want) {
			t.Errorf("layout %d: two writes of the same config differ", layout)
		}
		c := t.TempDir()
		other := small
		other.Seed++
		if _, err := Write(c, other, layout); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(read(t, fa.SBOM), read(t, filepath.Join(c, "sbom.cdx.json"))) {
			t.Errorf("layout %d: seeds %d and %d wrote the same SBOM", layout, small.Seed, other.Seed)
		}
	}
}

// TestReadable: every file reads without problems through internal/inputs,
// with the configured counts, and the join finds findings and attaches VEX.
func TestReadable(t *testing.T) {
	dir := t.TempDir()
	f, err := Write(dir, small, Zip)
	if err != nil {
		t.Fatal(err)
	}
	sb := readInput(t, f.SBOM, inputs.KindSBOM)
	adv := readInput(t, f.Advisories, inputs.KindAdvisories)
	vex := readInput(t, f.VEX, inputs.KindVEX)
	if n := len(sb.SBOM.Components); n != small.Components {
		t.Errorf("%d components, want %d", n, small.Components)
	}
	if n := len(adv.Advisories); n != small.Advisories {
		t.Errorf("%d advisories, want %d", n, small.Advisories)
	}
	if n := len(vex.VEX); n != small.VEX {
		t.Errorf("%d VEX statements, want %d", n, small.VEX)
	}
	ecos := map[string]int{}
	for _, c := range sb.SBOM.Components {
		if c.Ecosystem == "" {
			t.Fatalf("component %s has no OSV ecosystem", c.Purl)
		}
		ecos[c.Ecosystem]++
	}
	if len(ecos) != len(synthEcos()) {
		t.Errorf("components span %v, want all of %v", ecos, synthEcos())
	}
	res, err := match.Join(&model.Inputs{SBOMs: []model.SBOM{*sb.SBOM}, Advisories: adv.Advisories, VEX: vex.VEX}, match.Options{})
	if err != nil {
		t.Fatal(err)
	}
	attached := 0
	for _, p := range res.Pairs {
		attached += len(p.VEX)
	}
	// About Hit × Advisories name an SBOM package and most ranges hold the
	// component's version: expect a few hundred findings, most statements attached.
	if len(res.Pairs) < small.Advisories/10 || len(res.Pairs) > small.Advisories {
		t.Errorf("%d findings from %d advisories at hit %.1f", len(res.Pairs), small.Advisories, small.Hit)
	}
	if attached < small.VEX/4 || len(res.Unmatched) == 0 {
		t.Errorf("%d statements attached, %d unmatched of %d", attached, len(res.Unmatched), small.VEX)
	}
}

func synthEcos() []string {
	var out []string
	for _, e := range ecos {
		out = append(out, e.osv)
	}
	return out
}

// TestPolicyCompiles: generated policies compile without errors at every
// size the benchmarks use.
func TestPolicyCompiles(t *testing.T) {
	for _, n := range []int{1, 20, 45, 1000} {
		r := dsl.CompileResult("synthetic.stella", Policy(n))
		if r.Policy == nil || dsl.HasErrors(r.Diagnostics) {
			t.Fatalf("%d rules: %v", n, r.Diagnostics)
		}
		if got := len(r.Policy.Rules); got != n {
			t.Errorf("%d rules compiled to %d", n, got)
		}
	}
}

func readInput(t *testing.T, p string, k inputs.Kind) *inputs.Input {
	t.Helper()
	in, err := inputs.Read(p, inputs.Options{Kind: k})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Warnings)+len(in.Skipped) > 0 {
		t.Errorf("%s: warnings %v, skipped %v", p, in.Warnings, in.Skipped)
	}
	return in
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tree maps every file under dir to its bytes.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = read(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
