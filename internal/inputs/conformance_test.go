package inputs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestConformanceSBOMs reads every SBOM of the shared data and checks the
// component counts. The expected numbers were derived independently of this
// package, with python3 over the raw JSON:
//
//	CycloneDX: every object in "components", recursively through nested
//	"components" (the metadata.component subtree is the root, not counted);
//	noPurl = those without a "purl".
//	SPDX: every entry of "packages" except the single package the document
//	DESCRIBES (documentDescribes, or a DESCRIBES/DESCRIBE relationship from
//	the document's SPDXID); noPurl = those without a purl externalRef.
//
//	for f in cyclonedx/*.json:
//	    def walk(cs): return sum(1 + walk(c.get('components', [])) for c in cs)
//	    ...
//
// The SPDX package counts agree with data/README.md minus the root
// (newrelic: 3,952 packages = 3,951 components + the container image).
func TestConformanceSBOMs(t *testing.T) {
	data := testenv.RequireData(t)
	tests := []struct {
		file              string
		components        int
		noPurl            int
		withRoot, withRel bool // a root component; a dependency graph giving direct/transitive
	}{
		{"cyclonedx/cern-lhc-vdm-editor-e564943.cdx.json", 43, 0, true, false},
		{"cyclonedx/dropwizard-1.3.15.cdx.json", 167, 0, true, true},
		{"cyclonedx/harp-0.2.10-darwin-amd64.cdx.json", 705, 0, true, true},
		{"cyclonedx/juice-shop-11.1.2.cdx.json", 840, 0, true, false},
		{"cyclonedx/juice-shop-via-npm-bare.cdx-1.4.json", 1115, 0, true, true},
		{"cyclonedx/keycloak-10.0.2.cdx.json", 903, 0, true, true},
		{"cyclonedx/laravel-7.12.0.cdx-1.4.json", 62, 0, true, true},
		{"cyclonedx/proton-bridge-1.8.0.cdx.json", 201, 0, true, true},
		{"cyclonedx/protonmail-webclient-v4-0912dff.cdx.json", 883, 0, true, false},
		{"cyclonedx/redis-commander.cdx.json", 514, 0, true, true},
		{"cyclonedx/syft-alpine-latest-image.cdx.json", 15, 1, true, false},
		{"cyclonedx/syft-mongo-image.cdx.json", 293, 1, true, false},
		{"cyclonedx/syft-python-latest-image.cdx.json", 431, 1, true, false},
		{"spdx/syft-alpine-latest-image.spdx.json", 14, 0, false, false},
		{"spdx/syft-debian-latest-image.spdx.json", 96, 0, false, false},
		{"spdx/syft-grype-0.32.0-release.spdx.json", 1160, 3, false, false},
		{"spdx/trivy-bitnami_airflow.spdx.json", 721, 6, true, false},
		{"spdx/trivy-formio_pdf-server.spdx.json", 1697, 2, true, false},
		{"spdx/trivy-newrelic_synthetics-minion-runner.spdx.json", 3951, 3, true, false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			in, err := Read(filepath.Join(data, "sbom", tt.file), Options{Kind: KindSBOM})
			if err != nil {
				t.Fatal(err)
			}
			s := in.SBOM
			if got := len(s.Components); got != tt.components {
				t.Errorf("components = %d, want %d", got, tt.components)
			}
			if s.NoPurl != tt.noPurl {
				t.Errorf("noPurl = %d, want %d", s.NoPurl, tt.noPurl)
			}
			if (s.Root != nil) != tt.withRoot {
				t.Errorf("root = %v, want present %v", s.Root, tt.withRoot)
			}
			rels := map[string]int{}
			refs := map[string]bool{}
			for i, c := range s.Components {
				rels[c.Relation]++
				if refs[c.Ref] {
					t.Errorf("duplicate ref %q", c.Ref)
				}
				refs[c.Ref] = true
				if c.SBOM != s.Digest {
					t.Fatalf("component %s: sbom %q, want %q", c.Ref, c.SBOM, s.Digest)
				}
				if c.Purl != "" && c.Type == "" {
					t.Errorf("component %s: purl without type", c.Ref)
				}
				if i > 0 && s.Components[i-1].Purl > c.Purl {
					t.Fatalf("components not sorted by purl at %d", i)
				}
			}
			if got := rels["direct"] > 0 && rels["transitive"]+rels["direct"] > 0; got != tt.withRel {
				t.Errorf("relations %v, want a graph: %v", rels, tt.withRel)
			}
			if len(in.Warnings) != 0 && tt.noPurl == 0 {
				t.Errorf("unexpected warnings: %v", in.Warnings)
			}
		})
	}
}

// TestConformanceOSV reads the four OSV directories of the shared data. The
// expected numbers are the file counts and "withdrawn" counts of
// data/README.md; the per-source counts are the id prefixes of the file names
// (ls osv/*/ | sed 's/-.*//' | sort | uniq -c).
func TestConformanceOSV(t *testing.T) {
	data := testenv.RequireData(t)
	bySource := map[string]int{}
	total := 0
	for _, tt := range []struct {
		dir       string
		n         int
		withdrawn int
	}{
		{"go-vulndb", 4291, 17},
		{"pypi-pysec", 2661, 10},
		{"ghsa-npm", 170, 0},
		{"ghsa-maven", 431, 0},
	} {
		in, err := Read(filepath.Join(data, "osv", tt.dir), Options{Kind: KindAdvisories})
		if err != nil {
			t.Fatal(err)
		}
		c := in.Counts()
		if c.Advisories != tt.n || c.Withdrawn != tt.withdrawn || in.Files != tt.n {
			t.Errorf("%s: %d advisories (%d withdrawn) from %d files, want %d (%d)", tt.dir, c.Advisories, c.Withdrawn, in.Files, tt.n, tt.withdrawn)
		}
		if len(in.Skipped) != 0 || len(in.Warnings) != 0 {
			t.Errorf("%s: skipped %v, warnings %v", tt.dir, in.Skipped, in.Warnings)
		}
		for _, a := range in.Advisories {
			bySource[a.Source]++
			if len(a.Affected) == 0 && a.Withdrawn == "" {
				t.Errorf("%s: no affected entries", a.ID)
			}
		}
		total += c.Advisories
	}
	want := map[string]int{"GHSA": 590, "GO": 4291, "MAL": 10, "OSV": 1, "PYSEC": 2661}
	for s, n := range want {
		if bySource[s] != n {
			t.Errorf("source %s: %d advisories, want %d (all: %v)", s, bySource[s], n, bySource)
		}
	}
	if total != 7553 {
		t.Errorf("total %d, want 7553", total)
	}
}

// TestConformanceSignals reads the KEV catalog and the EPSS excerpt; the
// numbers are those of data/README.md §4.
func TestConformanceSignals(t *testing.T) {
	data := testenv.RequireData(t)
	kev, err := Read(filepath.Join(data, "signals", "kev", "known_exploited_vulnerabilities.json"), Options{Kind: KindKEV})
	if err != nil {
		t.Fatal(err)
	}
	if kev.KEV.CatalogVersion != "2025.08.25" || len(kev.KEV.Entries) != 1404 {
		t.Errorf("KEV %s with %d entries, want 2025.08.25 with 1404", kev.KEV.CatalogVersion, len(kev.KEV.Entries))
	}
	var log4shell *model.KEVEntry
	for i, e := range kev.KEV.Entries {
		if e.CVE == "CVE-2021-44228" {
			log4shell = &kev.KEV.Entries[i]
		}
	}
	if log4shell == nil || log4shell.DateAdded != "2021-12-10" || log4shell.KnownRansomwareUse != "Known" {
		t.Errorf("CVE-2021-44228 entry = %+v", log4shell)
	}
	files, _ := filepath.Glob(filepath.Join(data, "signals", "epss", "*.csv"))
	if len(files) != 1 {
		t.Fatalf("EPSS files: %v", files)
	}
	epss, err := Read(files[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := epss.EPSS
	if e.ModelVersion != "v2026.06.15" || e.ScoreDate != "2026-09-29T12:00:22Z" || len(e.Scores) != 519 {
		t.Errorf("EPSS %s %s with %d scores", e.ModelVersion, e.ScoreDate, len(e.Scores))
	}
	if first, last := e.Scores[0].CVE, e.Scores[len(e.Scores)-1].CVE; first != "CVE-2021-26639" || last != "CVE-2021-27381" {
		t.Errorf("EPSS range %s…%s", first, last)
	}
}

// vexFiles lists every JSON document under data/vex except JSON schemas.
func vexFiles(t *testing.T, data string) []string {
	var files []string
	err := filepath.WalkDir(filepath.Join(data, "vex"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, "_schema.json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
