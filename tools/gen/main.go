// Command gen writes a deterministic synthetic input set for benchmarks
// (internal/synth): a CycloneDX SBOM, OSV advisories (a zip, or a directory
// with -layout dir), an OpenVEX document and a policy of -rules rules.
//
//	go run ./tools/gen -components 100000 -advisories 200000 -vex 10000 -out /tmp/big
//
// The same flags always write byte-identical files.
//
//	go run ./tools/gen -bundle-bomb kit.tar.zst -out /tmp/bomb
//
// writes /tmp/bomb/bomb.tar.zst instead: the bundle kit.tar.zst with two
// entries it does not list, each 1 GiB − 1 MiB of zeros, after its own — the
// bundle bomb of docs/performance.md (about 90 KB compressed).
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/synth"
)

func main() {
	var (
		c      synth.Config
		out    = flag.String("out", "", "directory to write (required)")
		layout = flag.String("layout", "zip", "advisories as a zip (osv.zip) or a directory (osv/)")
		rules  = flag.Int("rules", 20, "rules of the policy written to policy.stella (0: none)")
		bomb   = flag.String("bundle-bomb", "", "write DIR/bomb.tar.zst: this bundle plus two unlisted entries of zeros, and nothing else")
	)
	flag.Uint64Var(&c.Seed, "seed", 1, "seed of the generator")
	flag.IntVar(&c.Components, "components", 1000, "SBOM components")
	flag.IntVar(&c.Advisories, "advisories", 2000, "OSV advisories")
	flag.IntVar(&c.VEX, "vex", 100, "OpenVEX statements (0: no VEX file)")
	flag.Float64Var(&c.Hit, "hit", 0.1, "fraction of advisories naming a package of the SBOM")
	flag.Parse()
	err := error(nil)
	if *bomb != "" {
		err = bundleBomb(*bomb, *out)
	} else {
		err = run(*out, c, *layout, *rules)
	}
	if err != nil {
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

// bundleBomb writes out/bomb.tar.zst: the entries of the bundle kit, then
// two unlisted entries of 1 GiB − 1 MiB of zeros, in canonical tar form,
// zstd-compressed.
func bundleBomb(kit, out string) error {
	b, err := bundle.Open(kit, bundle.Limits{})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "bomb.tar.zst"))
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := zstd.NewWriter(f, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	const size = 1<<30 - 1<<20
	put := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(canon.TarHeader(name, size)); err != nil {
			return err
		}
		_, err := io.CopyN(tw, r, size)
		return err
	}
	for _, e := range b.Files() {
		data, _ := b.File(e.Path)
		if err := put(e.Path, e.Size, bytes.NewReader(data)); err != nil {
			return err
		}
	}
	for _, name := range []string{"zz/bomb-1", "zz/bomb-2"} {
		if err := put(name, size, zeros{}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Println(f.Name())
	return f.Close()
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
