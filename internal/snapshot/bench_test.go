package snapshot

import (
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// BenchmarkFromFiles freezes the newrelic SBOM (3,951 components) with all
// 7,553 OSV advisories of the shared data, in memory.
func BenchmarkFromFiles(b *testing.B) {
	data := testenv.RequireData(b)
	sp := Spec{SBOMs: []string{filepath.Join(data, "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json")}}
	for _, d := range []string{"go-vulndb", "pypi-pysec", "ghsa-npm", "ghsa-maven"} {
		sp.Advisories = append(sp.Advisories, filepath.Join(data, "osv", d))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromFiles(sp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLookup opens a snapshot of all the shared advisories and
// looks up one package, as a run over a small SBOM does.
func BenchmarkOpenLookup(b *testing.B) {
	data := testenv.RequireData(b)
	sp := Spec{}
	for _, d := range []string{"go-vulndb", "pypi-pysec", "ghsa-npm", "ghsa-maven"} {
		sp.Advisories = append(sp.Advisories, filepath.Join(data, "osv", d))
	}
	dir := filepath.Join(b.TempDir(), "snap")
	if _, err := Create(sp, dir); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := OpenDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if as, err := s.Index.Lookup("Maven", "com.fasterxml.jackson.core:jackson-databind"); err != nil || len(as) == 0 {
			b.Fatal(len(as), err)
		}
	}
}
