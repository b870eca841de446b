package inputs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// BenchmarkReadOSV reads all four OSV directories of the shared data
// (7,553 records), as `snapshot create --advisories` does.
func BenchmarkReadOSV(b *testing.B) {
	data := testenv.RequireData(b)
	dirs := []string{"go-vulndb", "pypi-pysec", "ghsa-npm", "ghsa-maven"}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, d := range dirs {
			in, err := Read(filepath.Join(data, "osv", d), Options{Kind: KindAdvisories})
			if err != nil {
				b.Fatal(err)
			}
			n += len(in.Advisories)
		}
		if n != 7553 {
			b.Fatalf("read %d advisories, want 7553", n)
		}
	}
}

// BenchmarkReadNewrelicSBOM reads the 3,952-package trivy SPDX SBOM.
func BenchmarkReadNewrelicSBOM(b *testing.B) {
	f := filepath.Join(testenv.RequireData(b), "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json")
	b.ReportAllocs()
	for b.Loop() {
		in, err := Read(f, Options{Kind: KindSBOM})
		if err != nil {
			b.Fatal(err)
		}
		if len(in.SBOM.Components) != 3951 {
			b.Fatalf("%d components", len(in.SBOM.Components))
		}
	}
}

// BenchmarkReadSBOM reads the shared SBOMs that docs/performance.md
// compares against osv-scanner (issue 15: reading at the speed of the
// bytes), as Read reads a file given on the command line; b.SetBytes makes
// the MB/s the reader's speed over the file.
func BenchmarkReadSBOM(b *testing.B) {
	data := testenv.RequireData(b)
	for _, f := range []string{
		"cyclonedx/juice-shop-11.1.2.cdx.json",
		"cyclonedx/keycloak-10.0.2.cdx.json",
		"spdx/syft-grype-0.32.0-release.spdx.json",
		"spdx/trivy-newrelic_synthetics-minion-runner.spdx.json",
	} {
		p := filepath.Join(data, "sbom", f)
		fi, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(p, Options{Kind: KindSBOM}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFingerprint fingerprints the shared OSV directory (7,553 files),
// what every run over it through the frozen-advisory cache pays.
func BenchmarkFingerprint(b *testing.B) {
	dir := filepath.Join(testenv.RequireData(b), "osv")
	for b.Loop() {
		if _, _, ok, err := Fingerprint(dir, Limits{}); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
