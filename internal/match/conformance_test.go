package match

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
// shared advisories and its VEX document, whose statement names
// jackson-databind by a BOM-Link to ANOTHER BOM (serial 3e671687…, while
// bom.json is 5f0f0da9…) with a purl fragment. A BOM-Link applies only to
// the SBOM it names (docs/inputs.md "BOM-Links"): the statement attaches to
// nothing, is reported as other_bom and warned about — it would quiet the
// CVE-2020-25649 finding (GHSA-288c-cq4h-88gq) if the link were ignored. With
// bom.json's own serial in the link it attaches to that finding alone.
func TestConformanceCycloneDXVEX(t *testing.T) {
	data := testenv.RequireData(t)
	dir := filepath.Join(data, "vex", "cyclonedx", "bom-examples")
	vex, err := inputs.Read(filepath.Join(dir, "vex.json"), inputs.Options{Kind: inputs.KindVEX})
	if err != nil {
		t.Fatal(err)
	}
	in := &model.Inputs{SBOMs: []model.SBOM{readSBOM(t, filepath.Join(dir, "bom.json"))}, Advisories: readAdvisories(t, data), VEX: vex.VEX}
	attached := func(res *Result) []string {
		var out []string
		for _, p := range res.Pairs {
			for _, s := range p.VEX {
				out = append(out, p.Component.Name+" "+p.Advisory.ID+" "+s.Status+" "+s.Justification)
			}
		}
		return out
	}
	res, err := Join(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unmatched) != 1 || res.Unmatched[0].Reason != OtherBOM || len(res.Notices) != 1 || !strings.Contains(res.Notices[0], "names BOM urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79, not SBOM") {
		t.Errorf("unmatched %+v, notices %q; want one other_bom", res.Unmatched, res.Notices)
	}
	if got := attached(res); len(got) != 0 {
		t.Errorf("attached = %q through a BOM-Link to another BOM", got)
	}

	in.SBOMs[0].Serial = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
	if res, err = Join(in, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"jackson-databind GHSA-288c-cq4h-88gq not_affected vulnerable_code_not_in_execute_path"}
	if got := attached(res); len(res.Unmatched) != 0 || !slices.Equal(got, want) {
		t.Errorf("with the linked serial: attached = %q, unmatched %+v; want %q", got, res.Unmatched, want)
	}
}

// TestConformanceLowercasedGoPurls takes the shared SBOMs with Go modules
// whose paths have capitals and lowercases their purls the way some
// generators do (docs/conformance.md "Go module paths"). With the SBOM's
// package names intact, the readers restore the case and the join finds
// exactly the original pairs; with the names lowercased too, the
// case-insensitive fallback finds them again, marked CaseInsensitive.
func TestConformanceLowercasedGoPurls(t *testing.T) {
	data := testenv.RequireData(t)
	advs := readAdvisories(t, data)
	goPurl := regexp.MustCompile(`pkg:golang/[^"@]*`)
	lowerKeys := func(keys []string) []string {
		for i, k := range keys {
			keys[i] = goPurl.ReplaceAllStringFunc(k, strings.ToLower)
		}
		slices.Sort(keys)
		return keys
	}
	for _, tc := range []struct {
		file     string
		restored int // Go components whose path the reader restored
		folded   int // pairs found only case-insensitively once the names are lowercased too
	}{
		{"cyclonedx/proton-bridge-1.8.0.cdx.json", 22, 0},
		{"cyclonedx/harp-0.2.10-darwin-amd64.cdx.json", 14, 0},
		{"spdx/syft-grype-0.32.0-release.spdx.json", 38, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(data, "sbom", tc.file)
			join := func(sb model.SBOM) *Result {
				res, err := Join(&model.Inputs{SBOMs: []model.SBOM{sb}, Advisories: advs}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			orig := join(readSBOM(t, path))
			want := lowerKeys(pairKeys(orig))

			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			in, err := inputs.ReadBytes(tc.file, []byte(goPurl.ReplaceAllStringFunc(string(raw), strings.ToLower)), inputs.Options{Kind: inputs.KindSBOM})
			if err != nil {
				t.Fatal(err)
			}
			restored := 0
			for _, c := range in.SBOM.Components {
				if c.Ecosystem == purl.Go && c.Package != strings.ToLower(c.Package) {
					restored++
				}
			}
			if restored != tc.restored {
				t.Errorf("%d Go paths restored from the package names, want %d", restored, tc.restored)
			}
			named := join(*in.SBOM)
			if got := pairKeys(named); !slices.Equal(got, want) {
				t.Errorf("lowercased purls, names intact: %d pairs, want the original %d", len(got), len(want))
			}
			for _, p := range named.Pairs {
				if p.CaseInsensitive {
					t.Errorf("%s %s matched case-insensitively though the name gives the case", p.Component.Purl, p.Advisory.ID)
				}
			}

			bare := readSBOM(t, path)
			for i := range bare.Components {
				c := &bare.Components[i]
				if c.Ecosystem == purl.Go {
					c.Purl, c.Package = goPurl.ReplaceAllStringFunc(c.Purl, strings.ToLower), strings.ToLower(c.Package)
				}
			}
			folded := join(bare)
			if got := pairKeys(folded); !slices.Equal(got, want) {
				t.Errorf("lowercased purls and names: %d pairs, want the original %d", len(got), len(want))
			}
			n := 0
			for _, p := range folded.Pairs {
				if p.CaseInsensitive {
					n++
				}
			}
			if n != tc.folded {
				t.Errorf("%d pairs matched case-insensitively, want %d", n, tc.folded)
			}
		})
	}
}

// TestConformanceGoNTLMSSP is the case from the field: a container SBOM
// whose generator wrote pkg:golang/github.com/azure/go-ntlmssp for
// github.com/Azure/go-ntlmssp. Against the shared advisories, GO-2026-5543
// (fixed in 0.1.1) is found from the SPDX package name's case, and — with no
// name to go by — case-insensitively.
func TestConformanceGoNTLMSSP(t *testing.T) {
	data := testenv.RequireData(t)
	advs := readAdvisories(t, data)
	for _, tc := range []struct{ name, fold string }{
		{"github.com/Azure/go-ntlmssp", "false"},
		{"github.com/azure/go-ntlmssp", "true"},
	} {
		doc := `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"rancher","packages":[
  {"SPDXID":"SPDXRef-ntlm","name":"` + tc.name + `","versionInfo":"v0.0.0-20221128193559-754e69321358",
   "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl",
     "referenceLocator":"pkg:golang/github.com/azure/go-ntlmssp@v0.0.0-20221128193559-754e69321358"}]}]}`
		in, err := inputs.ReadBytes("rancher.spdx.json", []byte(doc), inputs.Options{Kind: inputs.KindSBOM})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Join(&model.Inputs{SBOMs: []model.SBOM{*in.SBOM}, Advisories: advs}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range res.Pairs {
			got = append(got, fmt.Sprintf("%s %v %s %t", p.Advisory.ID, p.Aliases, p.Range, p.CaseInsensitive))
		}
		want := []string{"GO-2026-5543 [CVE-2026-32952 GHSA-pjcq-xvwq-hhpj] SEMVER >=0 <0.1.1 " + tc.fold}
		if !slices.Equal(got, want) {
			t.Errorf("name %s: pairs %q, want %q", tc.name, got, want)
		}
	}
}
