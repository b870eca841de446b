// Command gen writes a deterministic synthetic input set for benchmarks
// (internal/synth): a CycloneDX SBOM, OSV advisories (a zip, or a directory
// with -layout dir), an OpenVEX document and a policy of -rules rules.
//
//	go run ./tools/gen -components 100000 -advisories 200000 -vex 10000 -out /tmp/big
//
// The same flags always write byte-identical files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stella-policy/stella/internal/synth"
)

func main() {
	var (
		c      synth.Config
		out    = flag.String("out", "", "directory to write (required)")
		layout = flag.String("layout", "zip", "advisories as a zip (osv.zip) or a directory (osv/)")
		rules  = flag.Int("rules", 20, "rules of the policy written to policy.stella (0: none)")
	)
	flag.Uint64Var(&c.Seed, "seed", 1, "seed of the generator")
	flag.IntVar(&c.Components, "components", 1000, "SBOM components")
	flag.IntVar(&c.Advisories, "advisories", 2000, "OSV advisories")
	flag.IntVar(&c.VEX, "vex", 100, "OpenVEX statements (0: no VEX file)")
	flag.Float64Var(&c.Hit, "hit", 0.1, "fraction of advisories naming a package of the SBOM")
	flag.Parse()
	if err := run(*out, c, *layout, *rules); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
}

func run(out string, c synth.Config, layout string, rules int) error {
	if out == "" || flag.NArg() > 0 {
		return fmt.Errorf("usage: gen -out DIR [-seed N] [-components N] [-advisories M] [-vex K] [-rules R] [-layout zip|dir]")
	}
	if c.Components < 1 || c.Advisories < 0 || c.VEX < 0 || rules < 0 {
		return fmt.Errorf("-components must be at least 1; -advisories, -vex and -rules not negative")
	}
	l := synth.Zip
	switch layout {
	case "zip":
	case "dir":
		l = synth.Dir
	default:
		return fmt.Errorf("-layout %q: want zip or dir", layout)
	}
	f, err := synth.Write(out, c, l)
	if err != nil {
		return err
	}
	fmt.Println(f.SBOM)
	fmt.Println(f.Advisories)
	if f.VEX != "" {
		fmt.Println(f.VEX)
	}
	if rules > 0 {
		p := filepath.Join(out, "policy.stella")
		if err := os.WriteFile(p, synth.Policy(rules), 0o644); err != nil {
			return err
		}
		fmt.Println(p)
	}
	return nil
}
