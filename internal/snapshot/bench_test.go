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

// BenchmarkLoad opens the newrelic snapshot for a run (Load): verify the
// files, decode the SBOM, and read and check the advisories the join needs
// (Index.Select); /all verifies the whole snapshot (OpenDir) and reads
// every advisory instead, as runs did before the store.
func BenchmarkLoad(b *testing.B) {
	data := testenv.RequireData(b)
	sp := Spec{SBOMs: []string{filepath.Join(data, "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json")},
		Advisories: []string{filepath.Join(data, "osv")}}
	dir := filepath.Join(b.TempDir(), "snap")
	if _, err := Create(sp, dir); err != nil {
		b.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		name := "select"
		if all {
			name = "all"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if all {
					var s *Snapshot
					if s, err = OpenDir(dir); err == nil {
						_, err = s.Index.All()
					}
				} else {
					_, err = Load(dir)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
