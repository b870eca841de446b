package match

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/testenv"
)

var advisories struct {
	once sync.Once
	list []model.Advisory
	err  error
}

// readAdvisories reads every OSV record of the shared data set, once per
// test binary; callers must not modify the records.
func readAdvisories(t testing.TB, data string) []model.Advisory {
	t.Helper()
	advisories.once.Do(func() {
		in, err := inputs.Read(filepath.Join(data, "osv"), inputs.Options{Kind: inputs.KindAdvisories})
		if err != nil {
			advisories.err = err
			return
		}
		advisories.list = in.Advisories
	})
	if advisories.err != nil {
		t.Fatal(advisories.err)
	}
	return advisories.list
}

func readSBOM(t testing.TB, path string) model.SBOM {
	t.Helper()
	in, err := inputs.Read(path, inputs.Options{Kind: inputs.KindSBOM})
	if err != nil {
		t.Fatal(err)
	}
	return *in.SBOM
}

// pairKeys returns the distinct "purl advisory-record" keys of a join.
func pairKeys(res *Result) []string {
	var out []string
	for _, p := range res.Pairs {
		for _, r := range p.Records {
			out = append(out, p.Component.Purl+" "+r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// peerKeys reads osv-scanner's expected (purl, advisory) pairs.
func peerKeys(t testing.TB, path string) []string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		f := strings.Split(sc.Text(), "\t")
		if n == 1 || len(f) < 5 {
			continue
		}
		c, err := purl.Canonical(f[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, c+" "+f[4])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// peerExplained lists the (purl, advisory) pairs where stella and
// osv-scanner are known to disagree, each explained in docs/conformance.md:
// "+" pairs only stella reports, "-" pairs only the peer reports. There are
// none: on the four SBOMs both find exactly the same pairs.
var peerExplained = map[string][]string{}

// TestConformancePeerAgreement checks that, for the four SBOMs osv-scanner
// was run on (offline, against exactly data/osv), the join finds the same
// (purl, advisory record) pairs, up to the explained differences.
func TestConformancePeerAgreement(t *testing.T) {
	data := testenv.RequireData(t)
	advs := readAdvisories(t, data)
	peer := filepath.Join(data, "peer-results", "osv-scanner-offline")
	want := map[string]int{
		"cern-lhc-vdm-editor-e564943.cdx.json": 8,
		"dropwizard-1.3.15.cdx.json":           77,
		"juice-shop-11.1.2.cdx.json":           39,
		"proton-bridge-1.8.0.cdx.json":         59,
	}
	for name, n := range want {
		t.Run(name, func(t *testing.T) {
			sb := readSBOM(t, filepath.Join(data, "sbom", "cyclonedx", name))
			res, err := Join(&model.Inputs{SBOMs: []model.SBOM{sb}, Advisories: advs}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := pairKeys(res), peerKeys(t, filepath.Join(peer, name+".expected.tsv"))
			if len(theirs) != n {
				t.Fatalf("peer file has %d pairs, SUMMARY.tsv says %d", len(theirs), n)
			}
			explained := map[string]bool{}
			for _, e := range peerExplained[name] {
				explained[e] = true
			}
			for _, k := range ours {
				if _, ok := slices.BinarySearch(theirs, k); !ok && !explained["+"+k] {
					t.Errorf("only stella: %s", k)
				}
			}
			for _, k := range theirs {
				if _, ok := slices.BinarySearch(ours, k); !ok && !explained["-"+k] {
					t.Errorf("only osv-scanner: %s", k)
				}
			}
		})
	}
}

// TestConformanceSBOMCounts records what the join finds in every shared
// SBOM against data/osv (docs/conformance.md has the table): pairs, distinct
// (purl, advisory record) pairs, distinct components with findings and
// distinct vulnerabilities (alias groups).
func TestConformanceSBOMCounts(t *testing.T) {
	data := testenv.RequireData(t)
	advs := readAdvisories(t, data)
	want := map[string][4]int{
		"cyclonedx/cern-lhc-vdm-editor-e564943.cdx.json":         {8, 8, 6, 7},
		"cyclonedx/dropwizard-1.3.15.cdx.json":                   {77, 77, 16, 75},
		"cyclonedx/harp-0.2.10-darwin-amd64.cdx.json":            {104, 104, 30, 92},
		"cyclonedx/juice-shop-11.1.2.cdx.json":                   {39, 39, 32, 29},
		"cyclonedx/juice-shop-via-npm-bare.cdx-1.4.json":         {34, 23, 19, 18},
		"cyclonedx/keycloak-10.0.2.cdx.json":                     {312, 312, 66, 145},
		"cyclonedx/laravel-7.12.0.cdx-1.4.json":                  {0, 0, 0, 0},
		"cyclonedx/proton-bridge-1.8.0.cdx.json":                 {59, 59, 14, 59},
		"cyclonedx/protonmail-webclient-v4-0912dff.cdx.json":     {45, 45, 41, 36},
		"cyclonedx/redis-commander.cdx.json":                     {18, 14, 13, 12},
		"cyclonedx/syft-alpine-latest-image.cdx.json":            {0, 0, 0, 0},
		"cyclonedx/syft-mongo-image.cdx.json":                    {200, 25, 5, 25},
		"cyclonedx/syft-python-latest-image.cdx.json":            {3, 3, 3, 3},
		"spdx/syft-alpine-latest-image.spdx.json":                {0, 0, 0, 0},
		"spdx/syft-debian-latest-image.spdx.json":                {0, 0, 0, 0},
		"spdx/syft-grype-0.32.0-release.spdx.json":               {1034, 308, 49, 134},
		"spdx/trivy-bitnami_airflow.spdx.json":                   {73, 73, 27, 71},
		"spdx/trivy-formio_pdf-server.spdx.json":                 {30, 23, 20, 16},
		"spdx/trivy-newrelic_synthetics-minion-runner.spdx.json": {479, 174, 119, 57},
	}
	files, _ := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
	if len(files) != len(want) {
		t.Errorf("%d SBOMs in the data set, %d with recorded counts", len(files), len(want))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(data, "sbom"), f)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			res, err := Join(&model.Inputs{SBOMs: []model.SBOM{readSBOM(t, f)}, Advisories: advs}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			comps, vulns := map[string]bool{}, map[string]bool{}
			for _, p := range res.Pairs {
				comps[p.Component.Purl] = true
				vulns[p.Advisory.ID] = true
			}
			got := [4]int{len(res.Pairs), len(pairKeys(res)), len(comps), len(vulns)}
			if got != want[rel] {
				t.Errorf("pairs, distinct pairs, components, vulnerabilities = %v, want %v", got, want[rel])
			}
		})
	}
}

// BenchmarkJoin joins the largest SBOM (3,951 components) with every
// shared advisory (7,553 records).
func BenchmarkJoin(b *testing.B) {
	data := testenv.DataDir()
	if data == "" {
		b.Skip("no shared data")
	}
	advs := readAdvisories(b, data)
	sb := readSBOM(b, filepath.Join(data, "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json"))
	in := &model.Inputs{SBOMs: []model.SBOM{sb}, Advisories: advs}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Join(in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConformanceCycloneDXVEX joins CycloneDX's bom-examples BOM with the
// shared advisories and its VEX document, whose statement names the
// component by a BOM-Link to another BOM serial with a purl fragment: the
// statement must attach to the CVE-2020-25649 finding (GHSA-288c-cq4h-88gq)
// on jackson-databind and to nothing else.
func TestConformanceCycloneDXVEX(t *testing.T) {
	data := testenv.RequireData(t)
	dir := filepath.Join(data, "vex", "cyclonedx", "bom-examples")
	vex, err := inputs.Read(filepath.Join(dir, "vex.json"), inputs.Options{Kind: inputs.KindVEX})
	if err != nil {
		t.Fatal(err)
	}
	in := &model.Inputs{SBOMs: []model.SBOM{readSBOM(t, filepath.Join(dir, "bom.json"))}, Advisories: readAdvisories(t, data), VEX: vex.VEX}
	res, err := Join(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unmatched) != 0 {
		t.Errorf("unmatched statements: %+v", res.Unmatched)
	}
	var attached []string
	for _, p := range res.Pairs {
		for _, s := range p.VEX {
			attached = append(attached, p.Component.Name+" "+p.Advisory.ID+" "+s.Status+" "+s.Justification)
		}
	}
	want := []string{"jackson-databind GHSA-288c-cq4h-88gq not_affected vulnerable_code_not_in_execute_path"}
	if !slices.Equal(attached, want) {
		t.Errorf("attached = %q, want %q", attached, want)
	}
}
