package inputs

import (
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
