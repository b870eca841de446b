package inputs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestConformanceSBOMs reads every SBOM of the shared data and checks the
// component counts. The expected numbers were derived independently of this
// package, with python3 over the raw JSON (run in data/sbom):
//
//	import json, glob
//	for f in sorted(glob.glob('cyclonedx/*.json')):
//	    d = json.load(open(f))
//	    def walk(cs):  # nested components count; metadata.component is the root
//	        return [c for x in cs for c in [x] + walk(x.get('components', []))]
//	    cs = walk(d.get('components', []))
//	    print(f, len(cs), sum(1 for c in cs if not c.get('purl')))
//	for f in sorted(glob.glob('spdx/*.json')):
//	    d = json.load(open(f))
//	    roots = set(d.get('documentDescribes', [])) | {r['relatedSpdxElement'] for r in d.get('relationships', [])
//	        if r['relationshipType'] in ('DESCRIBES', 'DESCRIBE') and r['spdxElementId'] == d['SPDXID']}
//	    ps = [p for p in d['packages'] if not (len(roots) == 1 and p['SPDXID'] in roots)]
//	    print(f, len(ps), sum(1 for p in ps if not any(e['referenceType'] == 'purl' for e in p.get('externalRefs', []))))
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
	// The CSV form of the same catalog gives the same entries.
	kevCSV, err := Read(filepath.Join(data, "signals", "kev", "known_exploited_vulnerabilities.csv"), Options{Kind: KindKEV})
	if err != nil {
		t.Fatal(err)
	}
	if kevCSV.Format != KEVCSV || !slices.Equal(kevCSV.KEV.Entries, kev.KEV.Entries) {
		t.Errorf("KEV CSV (%s, %d entries) differs from the JSON catalog", kevCSV.Format, len(kevCSV.KEV.Entries))
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

// vexLine summarizes a statement for the conformance table:
// "VULN status[/justification] product product…", each product as its purl,
// else its BOM ref, else its id, with "@version" or "@{range}".
func vexLine(s model.VEXStatement) string {
	st := s.Status
	if s.Justification != "" {
		st += "/" + s.Justification
	}
	parts := []string{s.Vulnerability, st}
	for _, p := range s.Products {
		id := p.Purl
		if id == "" {
			id = p.BOMRef
		}
		if id == "" {
			id = p.ID
		}
		if p.Version != "" {
			id += "@" + p.Version
		}
		if p.Range != "" {
			id += "@{" + p.Range + "}"
		}
		parts = append(parts, id)
	}
	if len(s.Subcomponents) > 0 {
		parts = append(parts, "subs:")
		for _, p := range s.Subcomponents {
			parts = append(parts, p.Purl)
		}
	}
	return strings.Join(parts, " ")
}

// vexCount summarizes a statement with many products: "VULN status N products".
func vexCount(s model.VEXStatement) string {
	st := s.Status
	if s.Justification != "" {
		st += "/" + s.Justification
	}
	return fmt.Sprintf("%s %s %d products", s.Vulnerability, st, len(s.Products))
}

// ripple20 expands one statement shape over the 19 Ripple20 CVEs
// (CVE-2020-11896 … CVE-2020-11914).
func ripple20(rest string) []string {
	out := make([]string, 0, 19)
	for n := 11896; n <= 11914; n++ {
		out = append(out, fmt.Sprintf("CVE-2020-%d %s", n, rest))
	}
	return out
}

// TestConformanceVEX reads every VEX document of the shared data and checks
// the statements against what each document states: status, justification
// (in the OpenVEX vocabulary) and products, one line per statement (vexLine).
// The expectations were written from the documents themselves and, for the
// CycloneDX examples, the README of each use case; for instance:
//
//   - Use-Cases/Case-5: "not exploitable in 7.0.0 and higher, nor prior to
//     v1.5.0, but exploitable between v1.5.0 up to (but excluding) v7.0.0"
//     → affected for vers:semver/<7.0.0|>=1.5.0, not_affected for
//     vers:semver/<1.5.0|>=7.0.0.
//   - Use-Cases/Case-8: not exploitable in 2.0.0–2.7.0, 3.0.0–3.2.0,
//     3.8.0–4.1.0 and 5.9 → one not_affected statement with those ranges.
//   - Use-Cases/Case-12: CVE-2020-25649 and CVE-2020-14195 not exploitable
//     with different justifications, CVE-2020-35491 exploitable.
//   - Use-Cases/Case-13: not exploitable in Acme Product 1 and 2, exploitable
//     in 3 (BOM-Links to three BOMs).
//   - CISA-Use-Cases/Case-3: the README's four lists of Ripple20 CVEs
//     (not affected, affected, under investigation, fixed).
//   - CISA-Use-Cases/Case-7: ABC and JKL affected and not affected by
//     version, JKL fixed in 5.1.
//   - CycloneDX states map exploitable → affected, in_triage →
//     under_investigation, resolved and resolved_with_pedigree → fixed,
//     false_positive → not_affected; code_not_reachable →
//     vulnerable_code_not_in_execute_path, code_not_present →
//     vulnerable_code_not_present, protected_by_mitigating_control →
//     inline_mitigations_already_exist (docs/inputs.md).
//
// Documents with hundreds of products are checked by product counts, which
// are the sizes of their product_status sets.
func TestConformanceVEX(t *testing.T) {
	data := testenv.RequireData(t)
	tests := []struct {
		file string
		want []string
	}{
		{"csaf/go-vex/csaf.json", []string{
			"CVE-2009-4487 affected ABC:CSAFPID-0002",
			"CVE-2009-4487 not_affected CSAFPID-0001",
			"CVE-2009-4488 affected ABC:CSAFPID-0002",
			"CVE-2009-4488 not_affected CSAFPID-0001",
		}},
		{"csaf/oasis-csaf-2.0-examples/bsi-2022-0001.json", []string{
			"CVE-2022-27193 affected CSAFPID-0001@1.0.0-alpha CSAFPID-0002@1.0.0-dev1 CSAFPID-0003@1.0.0-dev2 CSAFPID-0004@1.0.0-dev3 CSAFPID-0005@1.0.0-rc1",
			"CVE-2022-27193 fixed CSAFPID-0006@1.0.0-rc2",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-01-a-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0001@1.0",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-01-f-001.json", []string{
			"CVE-2021-44228 fixed CSAFPID-0001@1.1",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-01-na-001.json", []string{
			"CVE-2021-44228 not_affected CSAFPID-0001@4.2",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-01-ui-001.json", []string{
			"CVE-2021-44228 under_investigation CSAFPID-0001@17.4",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-02-na-001.json", ripple20("not_affected CSAFPID-0001@4.2")},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-03-ms-001.json", []string{
			"CVE-2020-11896 under_investigation CSAFPID-0001@17.4",
			"CVE-2020-11897 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11898 affected CSAFPID-0001@17.4",
			"CVE-2020-11899 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11900 under_investigation CSAFPID-0001@17.4",
			"CVE-2020-11901 fixed CSAFPID-0001@17.4",
			"CVE-2020-11902 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11903 under_investigation CSAFPID-0001@17.4",
			"CVE-2020-11904 under_investigation CSAFPID-0001@17.4",
			"CVE-2020-11905 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11906 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11907 affected CSAFPID-0001@17.4",
			"CVE-2020-11908 under_investigation CSAFPID-0001@17.4",
			"CVE-2020-11909 affected CSAFPID-0001@17.4",
			"CVE-2020-11910 affected CSAFPID-0001@17.4",
			"CVE-2020-11911 affected CSAFPID-0001@17.4",
			"CVE-2020-11912 fixed CSAFPID-0001@17.4",
			"CVE-2020-11913 not_affected CSAFPID-0001@17.4",
			"CVE-2020-11914 fixed CSAFPID-0001@17.4",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-04-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0002@2.4 CSAFPID-0003@2.6 CSAFPID-0004@{vers:generic/>=2.9|<=4.1}",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-05-001.json", []string{
			"CVE-2021-44228 under_investigation CSAFPID-0001@{vers:all/*}",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-06-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0002@2.4 CSAFPID-0003@2.6 CSAFPID-0004@{vers:generic/>=2.9|<=4.1}",
			"CVE-2021-44228 not_affected CSAFPID-0001@4.2 CSAFPID-0005@{vers:generic/>=1.0|<=2.3} CSAFPID-0006@2.5 CSAFPID-0007@{vers:generic/>=2.7|<=2.8}",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-07-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0002@2.4 CSAFPID-0003@2.6 CSAFPID-0004@{vers:generic/>=2.9|<=4.1}",
			"CVE-2021-44228 affected CSAFPID-0008@{vers:generic/>=4.5|<=5.0}",
			"CVE-2021-44228 fixed CSAFPID-0010@5.1",
			"CVE-2021-44228 not_affected CSAFPID-0001@4.2 CSAFPID-0005@{vers:generic/>=1.0|<=2.3} CSAFPID-0006@2.5 CSAFPID-0007@{vers:generic/>=2.7|<=2.8}",
			"CVE-2021-44228 not_affected CSAFPID-0009@{vers:generic/>=1.0|<=4.4}",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-08-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0002@2.4 CSAFPID-0003@2.6 CSAFPID-0004@{vers:generic/>=2.9|<=4.1}",
			"CVE-2021-44228 affected CSAFPID-0008@{vers:generic/>=4.5|<=5.0}",
			"CVE-2021-44228 fixed CSAFPID-0010@5.1 CSAFPID-0011@5.2",
			"CVE-2021-44228 not_affected CSAFPID-0001@4.2 CSAFPID-0005@{vers:generic/>=1.0|<=2.3} CSAFPID-0006@2.5 CSAFPID-0007@{vers:generic/>=2.7|<=2.8}",
			"CVE-2021-44228 not_affected CSAFPID-0009@{vers:generic/>=1.0|<=4.4}",
			"CVE-2021-45105 affected CSAFPID-0002@2.4 CSAFPID-0003@2.6 CSAFPID-0004@{vers:generic/>=2.9|<=4.1}",
			"CVE-2021-45105 affected CSAFPID-0010@5.1",
			"CVE-2021-45105 fixed CSAFPID-0011@5.2",
			"CVE-2021-45105 not_affected CSAFPID-0001@4.2 CSAFPID-0005@{vers:generic/>=1.0|<=2.3} CSAFPID-0006@2.5 CSAFPID-0007@{vers:generic/>=2.7|<=2.8}",
			"CVE-2021-45105 not_affected CSAFPID-0009@{vers:generic/>=1.0|<=4.4}",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/2022-evd-uc-09-001.json", []string{
			"CVE-2021-44228 affected CSAFPID-0002",
			"CVE-2021-44228 not_affected CSAFPID-0001",
			"CVE-2021-45105 affected CSAFPID-0002",
			"CVE-2021-45105 not_affected CSAFPID-0001",
		}},
		{"csaf/oasis-csaf-2.0-examples/csaf_vex/sec-vex-2022-0001.json", []string{
			"CVE-2021-44228 not_affected/component_not_present CSAFPID-0001@{<=1.14.0}",
			"CVE-2021-45046 not_affected/component_not_present CSAFPID-0001@{<=1.14.0}",
			"CVE-2021-45105 not_affected/component_not_present CSAFPID-0001@{<=1.14.0}",
		}},
		{"csaf/oasis-csaf-2.0-examples/rhsa-2019_1862.json", []string{}},
		{"csaf/oasis-csaf-2.0-examples/rhsa-2021_5217.json", []string{
			"CVE-2021-4133 fixed Red Hat Single Sign-On",
		}},
		{"csaf/vexctl/csaf.json", []string{
			"CVE-2009-4487 not_affected pkg:generic/component1@1.3.4",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-1/vex-affected.json", []string{
			"CVE-2021-44228 affected product-DEF",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-1/vex-fixed.json", []string{
			"CVE-2021-44228 fixed product-DEF",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-1/vex-not_affected.json", []string{
			"CVE-2021-44228 not_affected/vulnerable_code_not_present product-ABC",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-1/vex-under_investigation.json", []string{
			"CVE-2021-44228 under_investigation product-GHI",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-2/vex.json", ripple20("not_affected/vulnerable_code_not_in_execute_path product-ABC")},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-3/vex.json", []string{
			"CVE-2020-11896 under_investigation product-GHI",
			"CVE-2020-11897 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11898 affected product-GHI",
			"CVE-2020-11899 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11900 under_investigation product-GHI",
			"CVE-2020-11901 fixed product-GHI",
			"CVE-2020-11902 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11903 under_investigation product-GHI",
			"CVE-2020-11904 under_investigation product-GHI",
			"CVE-2020-11905 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11906 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11907 affected product-GHI",
			"CVE-2020-11908 under_investigation product-GHI",
			"CVE-2020-11909 affected product-GHI",
			"CVE-2020-11910 affected product-GHI",
			"CVE-2020-11911 affected product-GHI",
			"CVE-2020-11912 fixed product-GHI",
			"CVE-2020-11913 not_affected/vulnerable_code_not_present product-GHI",
			"CVE-2020-11914 fixed product-GHI",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-4/vex.json", []string{
			"CVE-2021-44228 affected product-ABC@{vers:generic/>=2.9|<=4.1} product-ABC@2.4 product-ABC@2.6",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-5/vex.json", []string{
			"CVE-2021-44228 under_investigation product-XYZ",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-6/vex.json", []string{
			"CVE-2021-44228 affected product-ABC@{vers:generic/>=2.9|<=4.1} product-ABC@2.4 product-ABC@2.6",
			"CVE-2021-44228 not_affected/vulnerable_code_not_present product-ABC@{vers:generic/>=1.0|<=2.3} product-ABC@{vers:generic/>=2.7|<=2.8} product-ABC@2.5 product-ABC@4.2",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-7/vex.json", []string{
			"CVE-2021-44228 affected urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.9|<=4.1} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.4 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.6 urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=4.5|<=5.0}",
			"CVE-2021-44228 fixed urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.1",
			"CVE-2021-44228 not_affected/vulnerable_code_not_present urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=1.0|<=2.3} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.7|<=2.8} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.5 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@4.2",
			"CVE-2021-44228 not_affected/vulnerable_code_not_present urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=1.0|<=4.4}",
		}},
		{"cyclonedx/bom-examples/CISA-Use-Cases/Case-8/vex.json", []string{
			"CVE-2021-44228 affected urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.9|<=4.1} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.4 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.6 urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=4.5|<=5.0}",
			"CVE-2021-44228 fixed urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.1 urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.2",
			"CVE-2021-44228 not_affected/vulnerable_code_not_present urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=1.0|<=2.3} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.7|<=2.8} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.5 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@4.2",
			"CVE-2021-44228 not_affected/vulnerable_code_not_present urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=1.0|<=4.4}",
			"CVE-2021-45105 affected urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.9|<=4.1} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.4 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.6 urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=4.5|<=5.0} urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.1",
			"CVE-2021-45105 fixed urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.2",
			"CVE-2021-45105 not_affected/vulnerable_code_not_present urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=1.0|<=2.3} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@{vers:generic/>=2.7|<=2.8} urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@2.5 urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC@4.2 urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=1.0|<=4.4} urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@5.2",
			"CVE-2021-45105 not_affected/vulnerable_code_not_present urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL@{vers:generic/>=1.0|<=4.4}",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-1/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-10/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product@2.2.0 acme-product@2.2.1 acme-product@2.2.2 acme-product@2.3.0 acme-product@2.3.1 acme-product@2.3.2 acme-product@2.3.3 acme-product@2.3.4 acme-product@2.3.5 acme-product@2.3.6 acme-product@2.3.7 acme-product@2.4.0",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-11/vex.json", ripple20("not_affected/vulnerable_code_not_in_execute_path acme-product")},
		{"cyclonedx/bom-examples/Use-Cases/Case-12/vex.json", []string{
			"CVE-2020-14195 not_affected/inline_mitigations_already_exist acme-product",
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product",
			"CVE-2020-35491 affected acme-product",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-13/vex.json", []string{
			"CVE-2020-25649 affected urn:cdx:240b5b0b-917d-4f48-816c-97e1944d8079/1#acme-product-3",
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1 urn:cdx:6ffac0b2-5246-4fb9-a6fe-7993041856a0/1#acme-product-2",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-2/vex.json", []string{
			"CVE-2020-25649 affected acme-product",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-3/vex.json", []string{
			"CVE-2020-25649 under_investigation acme-product",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-4/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product@{vers:semver/>=2.2.0|<=2.4.0}",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-5/vex.json", []string{
			"CVE-2020-25649 affected acme-product@{vers:semver/<7.0.0|>=1.5.0}",
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product@{vers:semver/<1.5.0|>=7.0.0}",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-6/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path urn:cdx:240b5b0b-917d-4f48-816c-97e1944d8079/1#acme-product-3 urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1 urn:cdx:6ffac0b2-5246-4fb9-a6fe-7993041856a0/1#acme-product-2",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-7/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-8/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path acme-product@{vers:semver/>=2.0.0|<=2.7.0} acme-product@{vers:semver/>=3.0.0|<=3.2.0} acme-product@{vers:semver/>=3.8.0|<=4.1.0} acme-product@5.9.0",
		}},
		{"cyclonedx/bom-examples/Use-Cases/Case-9/vex.json", ripple20("not_affected/vulnerable_code_not_in_execute_path urn:cdx:240b5b0b-917d-4f48-816c-97e1944d8079/1#acme-product-3 urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1 urn:cdx:6ffac0b2-5246-4fb9-a6fe-7993041856a0/1#acme-product-2")},
		{"cyclonedx/bom-examples/vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",
		}},
		{"cyclonedx/guac/cyclonedx-unaffected-vex.json", []string{
			"CVE-2020-25649 not_affected/vulnerable_code_not_in_execute_path pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",
		}},
		{"cyclonedx/guac/cyclonedx-vex-affected.json", []string{
			"CVE-2021-44228 affected urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC@2.4 urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC@2.6",
		}},
		{"cyclonedx/guac/cyclonedx-vex-false-positive.json", []string{
			"CVE-2024-0002 not_affected urn:uuid:4e671687-395b-41f5-a30f-a58921a69b80/1#test-component-2@1.0.0",
			"CVE-2024-0004 not_affected urn:uuid:4e671687-395b-41f5-a30f-a58921a69b80/1#test-component-2-no-detail@1.0.0",
		}},
		{"cyclonedx/guac/cyclonedx-vex-no-analysis.json", []string{
			"CVE-2021-44228 affected urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC@2.4 urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC@2.6",
		}},
		{"cyclonedx/guac/cyclonedx-vex-resolved-with-pedigree.json", []string{
			"CVE-2024-0001 fixed urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79/1#test-component@1.0.0",
			"CVE-2024-0003 fixed urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79/1#test-component-no-detail@1.0.0",
		}},
		{"openvex/go-vex/csaf__openvex.json", []string{
			"CVE-2014-123456 fixed pkg:apk/distro/git@2.39.0-r1?arch=armv7 pkg:apk/distro/git@2.39.0-r1?arch=x86_64",
		}},
		{"openvex/go-vex/vex__v0.0.1-noversion.json", []string{
			"CVE-2023-12345 fixed pkg:apk/wolfi/git@2.39.0-r1?arch=armv7 pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
		}},
		{"openvex/go-vex/vex__v0.0.1.json", []string{
			"CVE-2023-12345 fixed pkg:apk/wolfi/git@2.39.0-r1?arch=armv7 pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
		}},
		{"openvex/go-vex/vex__v0.2.0.json", []string{
			"CVE-2023-1255 fixed pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126 subs: pkg:apk/alpine/libcrypto3@3.0.8-r3 pkg:apk/alpine/libssl3@3.0.8-r3",
			"CVE-2023-2650 fixed pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126 subs: pkg:apk/alpine/libcrypto3@3.0.8-r3 pkg:apk/alpine/libssl3@3.0.8-r3",
			"CVE-2023-2975 fixed pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126 subs: pkg:apk/alpine/libcrypto3@3.0.8-r3 pkg:apk/alpine/libssl3@3.0.8-r3",
			"CVE-2023-3446 not_affected/vulnerable_code_not_present pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126 subs: pkg:apk/alpine/libcrypto3@3.0.8-r3 pkg:apk/alpine/libssl3@3.0.8-r3",
			"CVE-2023-3817 not_affected/vulnerable_code_not_present pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126 subs: pkg:apk/alpine/libcrypto3@3.0.8-r3 pkg:apk/alpine/libssl3@3.0.8-r3",
		}},
		{"openvex/go-vex/vex__v001-1.vex.json", []string{
			"CVE-1234-5678 under_investigation pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/go-vex/vex__v001-2.vex.json", []string{
			"CVE-1234-5678 fixed pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/go-vex/vex__v020-1.vex.json", []string{
			"CVE-9876-54321 under_investigation pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/go-vex/vex__v020-2.vex.json", []string{
			"CVE-1234-5678 under_investigation pkg:apk/wolfi/git@2.41.0-1",
		}},
		{"openvex/guac/open-vex-affected.json", []string{
			"CVE-1234-5678 affected pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/guac/open-vex-not-affected.json", []string{
			"CVE-2023-12345 not_affected/inline_mitigations_already_exist pkg:oci/git@sha256:23a264e6e429852221a963e9f17338ba3f5796dc7086e46439a6f4482cf6e0cb subs: pkg:apk/alpine/git@2.38.1-r0?arch=ppc64le pkg:apk/alpine/git@2.38.1-r0?arch=x86_64",
		}},
		{"openvex/vexctl/csaf__openvex.json", []string{
			"CVE-2014-123456 fixed pkg:generic/component2@2.39.0-r1",
		}},
		{"openvex/vexctl/openvex__demo.vex.json", []string{
			"CVE-2014-123456 fixed pkg:apk/distro/git@2.39.0-r1?arch=armv7 pkg:apk/distro/git@2.39.0-r1?arch=x86_64",
		}},
		{"openvex/vexctl/openvex__document1.vex.json", []string{
			"CVE-1234-5678 under_investigation pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/vexctl/openvex__document2.vex.json", []string{
			"CVE-1234-5678 fixed pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/vexctl/sarif__sample-1statement.openvex.json", []string{
			"CVE-2023-27103 not_affected/component_not_present pkg:oci/nginx@sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",
		}},
		{"openvex/vexctl/sarif__sample-2vulns.openvex.json", []string{
			"CVE-2007-5686 fixed pkg:oci/nginx@sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",
			"CVE-2023-27103 not_affected/component_not_present pkg:oci/nginx@sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",
		}},
		{"openvex/vexctl/sarif__sample-history.openvex.json", []string{
			"CVE-2023-27103 not_affected/component_not_present pkg:oci/nginx@sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",
			"CVE-2023-27103 not_affected/component_not_present pkg:oci/nginx@sha256:13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0",
		}},
		{"openvex/vexctl/testdata__images.vex.json", []string{
			"CVE-1234-5678 under_investigation nginx",
			"CVE-1234-5678 under_investigation pkg:oci/alpine@sha256:f271e74b17ced29b915d351685fd4644785c6d1559dd1f2d4189a5e851ef753a",
			"CVE-1234-5678 under_investigation pkg:oci/kube-apiserver?repository_url=registry.k8s.io&tag=v1.26.0",
			"CVE-1234-5678 under_investigation registry.k8s.io/kube-apiserver:v1.26.0",
		}},
		{"openvex/vexctl/testdata__templates__oci-vexctl.openvex.json", []string{
			"CVE-2014-12345678 not_affected/vulnerable_code_not_present pkg:oci/vexctl",
		}},
		{"openvex/vexctl/testdata__test.vex.json", []string{
			"CVE-2009-4487 not_affected/vulnerable_code_not_in_execute_path",
			"CVE-2021-44228 affected",
		}},
		{"openvex/vexctl/testdata__v001-1.vex.json", []string{
			"CVE-1234-5678 under_investigation pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/vexctl/testdata__v001-2.vex.json", []string{
			"CVE-1234-5678 fixed pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/vexctl/testdata__v020-1.vex.json", []string{
			"CVE-9876-54321 under_investigation pkg:apk/wolfi/bash@1.0.0",
		}},
		{"openvex/vexctl/testdata__v020-2.vex.json", []string{
			"CVE-1234-5678 under_investigation pkg:apk/wolfi/git@2.41.0-1",
		}},
	}
	counts := map[string][]string{
		"csaf/guac/rhsa-csaf.json":                                 {"CVE-2023-0286 affected 1 products", "CVE-2023-0286 fixed 35 products"},
		"csaf/oasis-csaf-2.0-examples/cisco-sa-20180328-smi2.json": {"CVE-2018-0171 affected 259 products"},
		"csaf/oasis-csaf-2.0-examples/rhsa-2021_5186.json": {"CVE-2021-4104 fixed 1 products", "CVE-2021-4104 not_affected 2 products",
			"CVE-2021-4125 fixed 1 products", "CVE-2021-4125 not_affected 2 products"},
		"csaf/oasis-csaf-2.0-examples/rhsa-2022_0011.json": {"CVE-2020-10188 fixed 15 products"},
	}
	want := map[string][]string{}
	for _, tt := range tests {
		want[tt.file] = tt.want
	}
	vexDir := filepath.Join(data, "vex")
	seen := 0
	for _, f := range vexFiles(t, data) {
		rel := filepath.ToSlash(strings.TrimPrefix(f, vexDir+string(filepath.Separator)))
		in, err := Read(f, Options{})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if in.Kind != KindVEX {
			// The use cases' own BOMs, and the SPDX SBOM beside vexctl's CSAF.
			if in.Kind != KindSBOM {
				t.Errorf("%s: read as %s", rel, in.Kind)
			}
			continue
		}
		seen++
		var got []string
		for _, s := range in.VEX {
			if s.ID == "" || s.Document == "" || s.Format != string(in.Format) || !slices.Contains(Statuses, s.Status) {
				t.Errorf("%s: incomplete statement %+v", rel, s)
			}
			if s.Justification != "" && !isJustification(s.Justification) {
				t.Errorf("%s: justification %q outside the OpenVEX vocabulary", rel, s.Justification)
			}
			if c, ok := counts[rel]; ok && c != nil {
				got = append(got, vexCount(s))
			} else {
				got = append(got, vexLine(s))
			}
		}
		exp, ok := want[rel]
		if c, isCount := counts[rel]; isCount {
			exp, ok = c, true
		}
		if !ok {
			t.Errorf("%s: no expectation for this document", rel)
			continue
		}
		slices.Sort(got)
		exp = slices.Clone(exp)
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("%s:\n got %q\nwant %q", rel, got, exp)
		}
	}
	if seen != len(tests)+len(counts) {
		t.Errorf("read %d VEX documents, the table has %d", seen, len(tests)+len(counts))
	}
}
