package inputs

import (
	"slices"
	"strings"
	"testing"
)

// TestDuplicateBOMRefs: a bom-ref given to several components is warned
// when they are one package; an error when they are different packages
// and the document's dependency graph or vulnerabilities refer to it;
// otherwise warned, and none of them keeps the bare bom-ref.
func TestDuplicateBOMRefs(t *testing.T) {
	const a, b = `{"bom-ref": "x", "type": "library", "name": "a", "version": "1", "purl": "pkg:npm/a@1"}`, `{"bom-ref": "x", "type": "library", "name": "b", "version": "2", "purl": "pkg:npm/b@2"}`
	doc := func(comps, rest string) string {
		return `{"bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": "urn:uuid:11111111-2222-3333-4444-555555555555", "version": 1,
"components": [` + comps + `]` + rest + `}`
	}
	vuln := func(ref string) string {
		return `, "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "not_affected", "justification": "code_not_present"}, "affects": [{"ref": "` + ref + `"}]}]`
	}
	for _, c := range []struct {
		name, doc string
		refs      []string // the components' refs, sorted by purl
		warn, err string
	}{
		{"unique", doc(a+`, {"bom-ref": "y", "name": "b", "purl": "pkg:npm/b@2"}`, ""), []string{"x", "y"}, "", ""},
		{"one package", doc(a+", "+a, vuln("x")), []string{"x", "x#2"},
			`x.json:2:117: /components/1/bom-ref: bom-ref "x" is given to 2 components of one package (/components/0 pkg:npm/a@1, /components/1 pkg:npm/a@1): read as that package`, ""},
		{"seven copies", doc(strings.Repeat(a+", ", 6)+a, ""), []string{"x", "x#2", "x#3", "x#4", "x#5", "x#6", "x#7"},
			`bom-ref "x" is given to 7 components of one package (/components/0 pkg:npm/a@1, /components/1 pkg:npm/a@1, /components/2 pkg:npm/a@1, /components/3 pkg:npm/a@1, /components/4 pkg:npm/a@1, and 2 more): read as that package`, ""},
		{"different, unreferenced", doc(a+", "+b, `, "dependencies": [{"ref": "y", "dependsOn": []}]`), []string{"x#1", "x#2"},
			`x.json:2:117: /components/1/bom-ref: bom-ref "x" is given to 2 different components (/components/0 pkg:npm/a@1, /components/1 pkg:npm/b@2): none keeps it, so a VEX statement naming it identifies none of them`, ""},
		{"different, nested, no purls", doc(`{"bom-ref": "x", "name": "a", "components": [{"bom-ref": "z", "name": "n"}, {"bom-ref": "x", "name": "b"}]}`, ""), []string{"x#1", "x#2", "z"},
			`/components/0/components/1/bom-ref: bom-ref "x" is given to 2 different components (/components/0 a, /components/0/components/1 b)`, ""},
		{"different, in the dependency graph", doc(a+", "+b, `, "dependencies": [{"ref": "y", "dependsOn": ["x"]}]`), nil, "",
			`x.json:2:117: /components/1/bom-ref: bom-ref "x" is given to 2 different components (/components/0 pkg:npm/a@1, /components/1 pkg:npm/b@2) and the dependency graph refers to it: which one is meant is ambiguous; give each component its own bom-ref`},
		{"different, a vulnerability's ref", doc(a+", "+b, vuln("x")), nil, "", `and /vulnerabilities/0/affects/0 refers to it`},
		{"different, a BOM-Link to this BOM", doc(a+", "+b, vuln("urn:cdx:11111111-2222-3333-4444-555555555555/1#x")), nil, "", `and /vulnerabilities/0/affects/0 refers to it`},
		{"different, a BOM-Link to another BOM", doc(a+", "+b, vuln("urn:cdx:99999999-2222-3333-4444-555555555555/1#x")), []string{"x#1", "x#2"}, `none keeps it`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := ReadBytes("x.json", []byte(c.doc), Options{Kind: KindSBOM})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, mc := range in.SBOM.Components {
				refs = append(refs, mc.Ref)
			}
			slices.Sort(refs)
			if !slices.Equal(refs, c.refs) {
				t.Errorf("refs %v, want %v", refs, c.refs)
			}
			var ws []string
			for _, w := range in.Warnings {
				if strings.Contains(w.Msg, "bom-ref") {
					ws = append(ws, w.String())
				}
			}
			if (c.warn == "") != (len(ws) == 0) || c.warn != "" && (len(ws) != 1 || !strings.Contains(ws[0], c.warn)) {
				t.Errorf("warnings %q, want %q", ws, c.warn)
			}
		})
	}
}

// TestSPDXPurlChoice: a package's first purl that parses is its purl; one
// that does not is warned naming the package, as a CycloneDX component is.
func TestSPDXPurlChoice(t *testing.T) {
	doc := `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [
  {"SPDXID": "SPDXRef-b", "name": "leftpad", "versionInfo": "1.0", "externalRefs": [
    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/left%pad@1.0"},
    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/leftpad@1.0"},
    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/other@1.0"}]},
  {"SPDXID": "SPDXRef-c", "name": "yaml", "externalRefs": [
    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "npm/yaml"}]}]}`
	in := read(t, "s.spdx.json", doc, Options{})
	if c := in.SBOM.Components; len(c) != 2 || c[1].Purl != "pkg:npm/leftpad@1.0" || c[0].Purl != "" || in.SBOM.NoPurl != 1 {
		t.Fatalf("components %+v", c)
	}
	var ws []string
	for _, w := range in.Warnings {
		ws = append(ws, w.String())
	}
	want := []string{
		`s.spdx.json: /packages/0/externalRefs/0/referenceLocator: invalid purl "pkg:npm/left%pad@1.0": error unescaping name: invalid URL escape "%pa"; ignored for package SPDXRef-b (leftpad@1.0)`,
		`s.spdx.json: /packages/0/externalRefs/2: package has more than one purl; using the first valid one`,
		`s.spdx.json: /packages/1/externalRefs/0/referenceLocator: invalid purl "npm/yaml": purl scheme is not "pkg": "npm/yaml"; ignored for package SPDXRef-c (yaml)`,
		`s.spdx.json: 1 components have no purl and cannot match advisories: SPDXRef-c`,
	}
	if !slices.Equal(ws, want) {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(ws, "\n"), strings.Join(want, "\n"))
	}
}
