package inputs

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
)

func read(t *testing.T, name, doc string, opt Options) *Input {
	t.Helper()
	in, err := ReadBytes(name, []byte(doc), opt)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return in
}

func readErr(t *testing.T, name, doc string, opt Options, pattern string) {
	t.Helper()
	_, err := ReadBytes(name, []byte(doc), opt)
	wantInvalid(t, err, pattern)
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		doc    string
		format Format
		kind   Kind
	}{
		{`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a"}]}`, CycloneDX, KindSBOM},
		{`{"bomFormat": "CycloneDX", "specVersion": "1.4", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "in_triage"}}]}`, CycloneDX, KindVEX},
		{`{"bomFormat": "CycloneDX", "specVersion": "1.4"}`, CycloneDX, KindSBOM},
		{`{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": []}`, SPDX, KindSBOM},
		{`{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}`, OpenVEX, KindVEX},
		{`{"@context": "", "author": "x", "statements": []}`, OpenVEX, KindVEX},
		{`{"document": {"category": "csaf_vex", "csaf_version": "2.0"}}`, CSAF, KindVEX},
		{`{"catalogVersion": "2024.01.01", "dateReleased": "2024-01-01T00:00:00Z", "vulnerabilities": []}`, KEVJSON, KindKEV},
		{`{"schema": "stella.reachability/v1", "facts": []}`, Reach, KindReach},
		{`{"schema": "stella.exceptions/v1", "exceptions": []}`, Exceptions, KindExceptions},
		{`[{"id": "E-1", "effect": "suppress"}]`, Exceptions, KindExceptions},
		{"exceptions:\n  - id: E-1\n", Exceptions, KindExceptions},
		{"- id: E-1\n  effect: defer\n", Exceptions, KindExceptions},
		{`{"id": "GHSA-1", "modified": "2024-01-01T00:00:00Z"}`, OSV, KindAdvisories},
		{`[{"id": "GHSA-1", "affected": []}]`, OSV, KindAdvisories},
		{"#model_version:v1,score_date:2024-01-01T00:00:00Z\ncve,epss,percentile\n", EPSSCSV, KindEPSS},
		{"cve,epss,percentile\nCVE-2024-0001,0.1,0.5\n", EPSSCSV, KindEPSS},
		{"cveID,vendorProject,product,dateAdded\nCVE-2024-0001,a,b,2024-01-01\n", KEVCSV, KindKEV},
		{`{"resultsPerPage": 0, "format": "NVD_CVE", "version": "2.0", "vulnerabilities": []}`, NVDJSON, KindNVD},
	} {
		d := &doc{name: "x", data: []byte(tt.doc)}
		f, k, err := detect(d, "")
		if err != nil || f != tt.format || k != tt.kind {
			t.Errorf("detect(%.40q) = %s %s %v, want %s %s", tt.doc, f, k, err, tt.format, tt.kind)
		}
	}
}

func TestNormTime(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"2023-01-08T18:02:03.647787998-06:00", "2023-01-09T00:02:03.647787998Z"},
		{"2022-03-03T11:00:00.000Z", "2022-03-03T11:00:00Z"},
		{"2024-03-01T00:00:00+0000", "2024-03-01T00:00:00Z"},
		{"2024-03-01T10:00:00", "2024-03-01T10:00:00Z"},
		{"2024-03-01", "2024-03-01T00:00:00Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
		{"", ""},
	} {
		if got, err := normTime(tt.in); err != nil || got != tt.want {
			t.Errorf("normTime(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "01/02/2024"} {
		if _, err := normTime(bad); err == nil {
			t.Errorf("normTime(%q) accepted", bad)
		}
	}
}

const cdxSBOM = `{
  "bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": "urn:uuid:11111111-2222-3333-4444-555555555555", "version": 2,
  "metadata": {"component": {"bom-ref": "app", "type": "application", "name": "app", "group": "acme", "tags": ["image:latest-tag"]},
               "properties": [{"name": "stella:tag", "value": "team:web,tier:1"}]},
  "components": [
    {"bom-ref": "a", "type": "library", "name": "a", "version": "1.0", "purl": "pkg:npm/a@1.0", "scope": "required",
     "licenses": [{"expression": "MIT OR Apache-2.0"}, {"license": {"name": "Custom"}}],
     "properties": [{"name": "z", "value": "1"}, {"name": "stella:tag", "value": "runtime:eol"}],
     "components": [{"type": "library", "name": "inner", "version": "2.0", "purl": "pkg:npm/inner@2.0"}]},
    {"bom-ref": "b", "type": "library", "name": "b", "version": "1.0", "purl": "pkg:pypi/B_Pkg@1.0"},
    {"bom-ref": "dup", "type": "library", "name": "c", "version": "1.0", "purl": "pkg:npm/c@1.0"},
    {"type": "library", "name": "c", "version": "1.0", "purl": "pkg:npm/c@1.0"},
    {"type": "library", "name": "c", "version": "1.0", "purl": "pkg:npm/c@1.0"},
    {"bom-ref": "bad", "type": "library", "name": "bad", "version": "3", "purl": "pkg:/nope"},
    {"bom-ref": "orphan", "type": "library", "name": "orphan", "purl": "pkg:golang/github.com/BurntSushi/toml@v0.3.1"}
  ],
  "dependencies": [{"ref": "app", "dependsOn": ["a"]}, {"ref": "a", "dependsOn": ["b"]}],
  "vulnerabilities": [
    {"bom-ref": "v1", "id": "CVE-2024-0001", "references": [{"id": "GHSA-xxxx-yyyy-zzzz", "source": {"name": "GitHub"}}],
     "analysis": {"state": "not_affected", "justification": "protected_at_runtime", "detail": "sandboxed", "lastUpdated": "2024-02-01T00:00:00Z"},
     "affects": [{"ref": "a"}, {"ref": "urn:cdx:11111111-2222-3333-4444-555555555555/2#b"}, {"ref": "urn:cdx:99999999-2222-3333-4444-555555555555/1#pkg:npm/other@1.0"}]},
    {"id": "CVE-2024-0002", "affects": [{"ref": "b"}]}
  ]
}`

func TestCycloneDXSBOM(t *testing.T) {
	in := read(t, "app.cdx.json", cdxSBOM, Options{})
	s := in.SBOM
	if in.Kind != KindSBOM || in.SpecVersion != "1.5" || s.Name != "acme/app" || s.Root == nil || s.Root.Ref != "app" {
		t.Fatalf("sbom %+v", s)
	}
	if !slices.Equal(s.Tags, []string{"image:latest-tag", "team:web", "tier:1"}) {
		t.Errorf("sbom tags %v", s.Tags)
	}
	byRef := map[string]model.Component{}
	var refs []string
	for _, c := range s.Components {
		byRef[c.Ref] = c
		refs = append(refs, c.Ref)
	}
	wantRefs := []string{"bad", "orphan", "a", "dup", "pkg:npm/c@1.0", "pkg:npm/c@1.0#2", "pkg:npm/inner@2.0", "b"}
	if !slices.Equal(refs, wantRefs) {
		t.Errorf("refs (sorted by purl) %v, want %v", refs, wantRefs)
	}
	a := byRef["a"]
	if a.Relation != "direct" || a.Scope != "required" || a.Ecosystem != "npm" || a.Package != "a" ||
		!slices.Equal(a.Licenses, []string{"Custom", "MIT OR Apache-2.0"}) || !slices.Equal(a.Tags, []string{"runtime:eol"}) ||
		len(a.Properties) != 2 || a.Properties[0].Name != "stella:tag" {
		t.Errorf("component a %+v", a)
	}
	if c := byRef["pkg:npm/inner@2.0"]; c.Relation != "direct" {
		t.Errorf("nested component relation %q, want its parent's (direct)", c.Relation)
	}
	if c := byRef["b"]; c.Relation != "transitive" || c.Purl != "pkg:pypi/b-pkg@1.0" || c.Package != "b-pkg" || c.Ecosystem != "PyPI" {
		t.Errorf("component b %+v", c)
	}
	if c := byRef["orphan"]; c.Relation != "" || c.Namespace != "github.com/BurntSushi" || c.Package != "github.com/BurntSushi/toml" {
		t.Errorf("orphan %+v", c)
	}
	if c := byRef["bad"]; c.Purl != "" || c.Name != "bad" || c.Version != "3" || s.NoPurl != 1 {
		t.Errorf("invalid purl component %+v (noPurl %d)", c, s.NoPurl)
	}
	var msgs []string
	for _, w := range in.Warnings {
		msgs = append(msgs, w.Pointer+" "+w.Msg)
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{`/components/5/purl invalid purl "pkg:/nope": purl is missing type or name; component bad (bad@3) kept without a purl`, "1 components have no purl", "/vulnerabilities/1 vulnerability CVE-2024-0002 has no analysis"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", joined, want)
		}
	}
	// The embedded VEX: local refs and a BOM-Link to this BOM resolve to purls.
	if len(in.VEX) != 1 {
		t.Fatalf("embedded VEX %+v", in.VEX)
	}
	v := in.VEX[0]
	if v.ID != "v1" || v.Status != model.VEXNotAffected || v.Justification != "inline_mitigations_already_exist" ||
		v.OriginalJustification != "protected_at_runtime" || v.ImpactStatement != "sandboxed" || v.Timestamp != "2024-02-01T00:00:00Z" ||
		v.Document != "urn:uuid:11111111-2222-3333-4444-555555555555/2" || !slices.Equal(v.Aliases, []string{"GHSA-xxxx-yyyy-zzzz"}) {
		t.Errorf("statement %+v", v)
	}
	var purls []string
	for _, p := range v.Products {
		purls = append(purls, p.Purl)
	}
	if !slices.Equal(purls, []string{"pkg:npm/a@1.0", "pkg:npm/other@1.0", "pkg:pypi/b-pkg@1.0"}) {
		t.Errorf("product purls %v", purls)
	}
	// As VEX, the same document yields the statements only.
	vx := read(t, "app.cdx.json", cdxSBOM, Options{Kind: KindVEX})
	if vx.SBOM != nil || len(vx.VEX) != 1 {
		t.Errorf("as VEX: sbom %v, %d statements", vx.SBOM, len(vx.VEX))
	}
}

func TestCycloneDXErrors(t *testing.T) {
	readErr(t, "v.json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "vulnerabilities": [{"id": "X", "analysis": {"state": "maybe"}}]}`,
		Options{}, `v.json:1:\d+: /vulnerabilities/0/analysis/state: unknown analysis state "maybe"`)
	readErr(t, "v.json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "vulnerabilities": [{"analysis": {"state": "in_triage"}}]}`,
		Options{}, `v.json:1:\d+: /vulnerabilities/0: vulnerability without an id`)
	readErr(t, "s.json", `{"bomFormat": "CycloneDX", "specVersion": "9.9", "components": []}`, Options{},
		`s.json:1:43: /specVersion: specVersion "9.9" is not a CycloneDX version \(want a string, "1.0" to "1.7"\)`)
	readErr(t, "s.json", "{\"bomFormat\": \"CycloneDX\",\n  \"specVersion\": 1.4}", Options{},
		`s.json:2:18: /specVersion: specVersion 1.4 is not a CycloneDX version`)
	readErr(t, "f.json", `{"bomFormat": "CycloneDx", "components": []}`, Options{Format: CycloneDX}, `f.json:1:\d+: /bomFormat: bomFormat is "CycloneDx", want "CycloneDX"`)
}

func TestSPDX(t *testing.T) {
	doc := `{
  "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "doc",
  "packages": [
    {"SPDXID": "SPDXRef-root", "name": "root"},
    {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1", "licenseConcluded": "NOASSERTION", "licenseDeclared": "MIT",
     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1"},
                      {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1.0"}]},
    {"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "2", "licenseConcluded": "Apache-2.0", "licenseDeclared": "MIT",
     "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/b@2"}]},
    {"SPDXID": "SPDXRef-dev", "name": "dev", "versionInfo": "3"}
  ],
  "relationships": [
    {"spdxElementId": "SPDXRef-root", "relationshipType": "DESCRIBED_BY", "relatedSpdxElement": "SPDXRef-DOCUMENT"},
    {"spdxElementId": "SPDXRef-a", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-root"},
    {"spdxElementId": "SPDXRef-a", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-b"},
    {"spdxElementId": "SPDXRef-dev", "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-root"}
  ]
}`
	in := read(t, "s.spdx.json", doc, Options{})
	s := in.SBOM
	if s.Root == nil || s.Root.Ref != "SPDXRef-root" || len(s.Components) != 3 || s.NoPurl != 1 {
		t.Fatalf("sbom %+v", s)
	}
	got := map[string]string{}
	for _, c := range s.Components {
		got[c.Ref] = c.Relation + " " + c.Scope + " " + c.Purl + " " + strings.Join(c.Licenses, ",")
	}
	want := map[string]string{
		"SPDXRef-a":   "direct  pkg:npm/a@1 MIT",
		"SPDXRef-b":   "transitive  pkg:npm/b@2 Apache-2.0",
		"SPDXRef-dev": "direct excluded  ",
	}
	for ref, w := range want {
		if got[ref] != w {
			t.Errorf("%s: %q, want %q", ref, got[ref], w)
		}
	}
	if len(in.Warnings) != 2 || !strings.Contains(in.Warnings[0].Msg, "more than one purl") {
		t.Errorf("warnings %v", in.Warnings)
	}
	readErr(t, "s3.json", `{"spdxVersion": "SPDX-3.0", "packages": []}`, Options{Format: SPDX}, `s3.json:1:\d+: /spdxVersion: SPDX 3 \(JSON-LD\) is not supported`)
	readErr(t, "dup.json", `{"spdxVersion": "SPDX-2.2", "packages": [{"SPDXID": "x"}, {"SPDXID": "x"}]}`, Options{}, `dup.json:1:\d+: /packages/1/SPDXID: duplicate SPDXID "x"`)
}

func TestOSVRecord(t *testing.T) {
	doc := `{
  "id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-02T03:04:05.123Z", "published": "2023-12-01T00:00:00Z",
  "aliases": ["CVE-2024-1", "GHSA-aaaa-bbbb-cccc", "CVE-2024-1"], "related": ["B", "A"],
  "summary": "s", "details": "dropped",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}],
  "affected": [
    {"package": {"ecosystem": "npm", "name": "x", "purl": "pkg:npm/x"}, "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}],
     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"last_affected": "1.2"}]}],
     "ecosystem_specific": {"b": 1, "a": [true, null]}},
    {"ranges": [{"type": "GIT", "repo": "https://example.com/r.git", "events": [{"introduced": "abc"}, {"limit": "def"}]}]}
  ],
  "database_specific": {"severity": "MODERATE"},
  "credits": [{"name": "someone"}], "future_field": {"tolerated": true}
}`
	in := read(t, "GHSA.json", doc, Options{})
	a := in.Advisories[0]
	if a.Source != "GHSA" || !slices.Equal(a.Aliases, []string{"CVE-2024-1"}) || !slices.Equal(a.Related, []string{"A", "B"}) ||
		a.Modified != "2024-01-02T03:04:05.123Z" || a.DBSeverity != "MODERATE" || len(a.Severity) != 2 || a.Severity[0].Type != "CVSS_V3" {
		t.Errorf("advisory %+v", a)
	}
	if af := a.Affected[0]; string(af.EcosystemSpecific) != `{"a":[true,null],"b":1}` || af.Purl != "pkg:npm/x" || af.Ranges[0].Events[1].LastAffected != "1.2" {
		t.Errorf("affected %+v", af)
	}
	if af := a.Affected[1]; af.Ecosystem != "" || af.Ranges[0].Repo == "" {
		t.Errorf("GIT-only affected %+v", af)
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"id": "X-1", "affected": [{"package": {"ecosystem": "npm"}}]}`, `/affected/0/package: package needs an ecosystem and a name`},
		{`{"id": "X-1", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}`, `/affected/0: affected entry without a package`},
		{`{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]}`, `/affected/0/ranges/0: GIT range without a repo`},
		{`{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": ""}]}]}]}`, `/affected/0/ranges/0/events/0: an event needs exactly one`},
		{`{"id": "X-1", "severity": [{"type": "CVSS_V3"}], "affected": []}`, `/severity/0: severity needs a type and a score`},
		{`{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": 0}]}]}]}`, `/affected/0/ranges/0/events/0/introduced: expected string, found number`},
	} {
		readErr(t, "x.json", tt.doc, Options{Kind: KindAdvisories}, `x.json:\d+:\d+: `+regexpQuote(tt.want))
	}
	// An array of records; duplicate ids keep the record modified last.
	list := read(t, "list.json", `[
		{"id": "B-1", "modified": "2024-01-01T00:00:00Z", "summary": "old", "affected": []},
		{"id": "A-1", "affected": []},
		{"id": "B-1", "modified": "2024-02-01T00:00:00Z", "summary": "new", "affected": []}]`, Options{})
	if len(list.Advisories) != 2 || list.Advisories[1].Summary != "new" || list.Advisories[0].Source != "A" || len(list.Warnings) != 1 {
		t.Errorf("list %+v, warnings %v", list.Advisories, list.Warnings)
	}
}

func regexpQuote(s string) string {
	return strings.NewReplacer("(", `\(`, ")", `\)`, "[", `\[`, "]", `\]`, ".", `\.`, "*", `\*`, "+", `\+`, "?", `\?`).Replace(s)
}

func TestSourceOf(t *testing.T) {
	for id, want := range map[string]string{
		"GHSA-xxxx-yyyy-zzzz": "GHSA", "GO-2023-2102": "GO", "PYSEC-2021-98": "PYSEC", "RUSTSEC-2020-0001": "RUSTSEC",
		"MAL-2022-1": "MAL", "OSV-2021-123": "OSV", "CVE-2021-44228": "CVE", "openSUSE-SU-2024:1": "OPENSUSE",
		"DSA-5000-1": "DSA", "noprefix": "OSV", "-1": "OSV", "A.B-1": "OSV",
	} {
		if got := SourceOf(id); got != want {
			t.Errorf("SourceOf(%s) = %s, want %s", id, got, want)
		}
	}
}

func TestOpenVEX(t *testing.T) {
	v001 := `{
  "@context": "https://openvex.dev/ns", "@id": "doc-1", "author": "me", "timestamp": "2023-01-01T00:00:00Z",
  "statements": [
    {"vulnerability": "CVE-1", "products": ["pkg:npm/a@1", "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*", "plain-id"], "subcomponents": ["pkg:npm/b@2"],
     "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": "CVE-2", "products": ["pkg:npm/a@1"], "status": "affected", "action_statement": "upgrade",
     "timestamp": "2023-02-01T00:00:00Z", "last_updated": "2023-03-01T00:00:00Z"}
  ]
}`
	in := read(t, "v.json", v001, Options{})
	if in.SpecVersion != "0.0.1" || len(in.VEX) != 2 {
		t.Fatalf("%+v", in)
	}
	byVuln := map[string]model.VEXStatement{}
	for _, s := range in.VEX {
		byVuln[s.Vulnerability] = s
	}
	s1 := byVuln["CVE-1"]
	if s1.Document != "doc-1" || s1.Issuer != "me" || s1.Timestamp != "2023-01-01T00:00:00Z" || len(s1.Products) != 3 ||
		s1.Products[0].CPE == "" || s1.Subcomponents[0].Purl != "pkg:npm/b@2" || !strings.HasPrefix(s1.ID, "sha256:") {
		t.Errorf("statement 1 %+v", s1)
	}
	if s2 := byVuln["CVE-2"]; s2.Timestamp != "2023-03-01T00:00:00Z" || s2.ActionStatement != "upgrade" {
		t.Errorf("statement 2 %+v", s2)
	}
	v020 := `{
  "@context": "https://openvex.dev/ns/v0.2.0", "@id": "doc-2", "author": "me", "timestamp": "2023-01-01T00:00:00Z",
  "statements": [{
    "@id": "st-1",
    "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-9", "name": "CVE-9", "aliases": ["GHSA-9"]},
    "products": [
      {"@id": "https://example.com/p1", "identifiers": {"purl": "pkg:oci/p1@sha256%3Aabc", "cpe23": "cpe:2.3:a:p:p1:*:*:*:*:*:*:*:*"},
       "subcomponents": [{"@id": "pkg:npm/s1@1"}]},
      {"@id": "pkg:oci/p2", "subcomponents": [{"@id": "pkg:npm/s2@1"}]}
    ],
    "status": "fixed", "justification": "made_up"
  }]
}`
	in = read(t, "v2.json", v020, Options{})
	if in.SpecVersion != "0.2.0" || len(in.VEX) != 2 || in.VEX[0].ID != "st-1#0" || in.VEX[1].ID != "st-1#1" {
		t.Fatalf("split statements %+v", in.VEX)
	}
	if s := in.VEX[0]; s.Products[0].Purl != "pkg:oci/p1@sha256:abc" || s.Products[0].ID != "https://example.com/p1" ||
		s.Subcomponents[0].Purl != "pkg:npm/s1@1" || !slices.Equal(s.Aliases, []string{"GHSA-9"}) || s.Justification != "" || s.OriginalJustification != "made_up" {
		t.Errorf("0.2.0 statement %+v", s)
	}
	if len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0].Msg, `unknown justification "made_up"`) {
		t.Errorf("warnings %v", in.Warnings)
	}
	readErr(t, "s.json", `{"@context": "x", "statements": [{"vulnerability": "CVE-1", "status": "fine"}]}`, Options{},
		`s.json:1:\d+: /statements/0/status: unknown status "fine"`)
	readErr(t, "s.json", `{"@context": "x", "statements": [{"vulnerability": {"aliases": []}, "status": "fixed"}]}`, Options{},
		`s.json:1:\d+: /statements/0/vulnerability: statement needs a vulnerability`)
	readErr(t, "s.json", `{"@context": "x", "statements": [{"vulnerability": "CVE-1", "status": "fixed", "products": [{}]}]}`, Options{},
		`s.json:1:\d+: /statements/0/products/0: product without an @id or identifiers`)
}

func TestCSAF(t *testing.T) {
	doc := `{
  "document": {"category": "csaf_vex", "csaf_version": "2.0", "publisher": {"name": "ACME PSIRT"},
               "tracking": {"id": "ACME-2024-1", "current_release_date": "2024-01-01T10:00:00+02:00"}},
  "product_tree": {
    "branches": [{"category": "vendor", "name": "ACME", "branches": [{"category": "product_name", "name": "app", "branches": [
      {"category": "product_version", "name": "1.0", "product": {"name": "app 1.0", "product_id": "P1",
        "product_identification_helper": {"purl": "pkg:generic/acme/app@1.0"}}},
      {"category": "product_version_range", "name": "vers:generic/>=2.0|<3.0", "product": {"name": "app 2.x", "product_id": "P2"}}
    ]}]}],
    "full_product_names": [{"name": "lib", "product_id": "L1", "product_identification_helper": {"cpe": "cpe:/a:acme:lib:5"}}],
    "relationships": [{"category": "default_component_of", "product_reference": "L1", "relates_to_product_reference": "P1",
                       "full_product_name": {"name": "lib in app 1.0", "product_id": "P1:L1"}}],
    "product_groups": [{"group_id": "G", "product_ids": ["P2", "P1:L1"]}]
  },
  "vulnerabilities": [{
    "cve": "CVE-2024-7",
    "ids": [{"system_name": "GHSA", "text": "GHSA-7777-8888-9999"}, {"system_name": "Bugzilla", "text": "123456"}],
    "product_status": {"known_not_affected": ["P2", "P1:L1"], "known_affected": ["P1"], "recommended": ["P2"]},
    "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["G"]}],
    "threats": [{"category": "impact", "details": "not reachable", "product_ids": ["P2"]}, {"category": "exploit_status", "details": "none"}],
    "remediations": [{"category": "vendor_fix", "details": "upgrade to 1.1", "product_ids": ["P1"]}]
  }]
}`
	in := read(t, "c.json", doc, Options{})
	var lines []string
	for _, s := range in.VEX {
		if s.Issuer != "ACME PSIRT" || s.Document != "ACME-2024-1" || s.Timestamp != "2024-01-01T08:00:00Z" || !slices.Equal(s.Aliases, []string{"GHSA-7777-8888-9999"}) {
			t.Errorf("statement %+v", s)
		}
		lines = append(lines, vexLine(s)+" | "+s.ImpactStatement+" | "+s.ActionStatement)
	}
	slices.Sort(lines)
	want := []string{
		"CVE-2024-7 affected pkg:generic/acme/app@1.0@1.0 |  | vendor_fix: upgrade to 1.1",
		"CVE-2024-7 not_affected/vulnerable_code_not_in_execute_path P1:L1 |  | ",
		"CVE-2024-7 not_affected/vulnerable_code_not_in_execute_path P2@{vers:generic/>=2.0|<3.0} | not reachable | ",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("statements\n got %q\nwant %q", lines, want)
	}
	for _, s := range in.VEX {
		if s.Products[0].ID == "P1:L1" && (s.Products[0].CPE != "cpe:/a:acme:lib:5" || s.Products[0].Name != "lib in app 1.0") {
			t.Errorf("relationship product %+v", s.Products[0])
		}
	}
	readErr(t, "c1.json", `{"document": {"csaf_version": "1.2"}}`, Options{Format: CSAF}, `c1.json:1:\d+: /document/csaf_version: unsupported csaf_version "1.2"`)
}

func TestEPSS(t *testing.T) {
	csv := "#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000\r\ncve,epss,percentile\r\nCVE-2022-0002,0.5,0.9\r\n\r\nCVE-2022-0001,0.00123,0.12\r\n"
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(csv))
	w.Close()
	for name, data := range map[string][]byte{"e.csv": []byte(csv), "e.csv.gz": gz.Bytes()} {
		in, err := ReadBytes(name, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := in.EPSS
		if e.ModelVersion != "v2023.03.01" || e.ScoreDate != "2023-03-07T00:00:00Z" || len(e.Scores) != 2 ||
			e.Scores[0].CVE != "CVE-2022-0001" || e.Scores[0].Score != decimal.MustParse("0.00123") || e.Scores[1].Percentile != decimal.MustParse("0.9") {
			t.Errorf("%s: %+v", name, e)
		}
	}
	in := read(t, "old.csv", "cve,epss\nCVE-2020-0001,0.1\n", Options{})
	if len(in.Warnings) != 1 || in.EPSS.Scores[0].Percentile != 0 {
		t.Errorf("old format: %+v %v", in.EPSS, in.Warnings)
	}
	readErr(t, "e.csv", "cve,epss,percentile\nCVE-1,0.1,0.2\n", Options{}, `e.csv:2:1: invalid CVE id "CVE-1"`)
	readErr(t, "e.csv", "cve,epss,percentile\nCVE-2020-0001,1.5,0.2\n", Options{}, `e.csv:2:15: epss: 1.5 is not between 0 and 1`)
	readErr(t, "e.csv", "cve,epss,percentile\nCVE-2020-0001,0.1,0.2\nCVE-2020-0001,0.1,0.2\n", Options{}, `e.csv:3:1: duplicate row for CVE-2020-0001 \(first on line 2\)`)
	readErr(t, "e.csv", "cve,epss,percentile\nCVE-2020-0001,0.1\n", Options{}, `e.csv:2:1: expected 3 fields, found 2`)
	readErr(t, "e.csv", "cve,score\n", Options{Format: EPSSCSV}, `e.csv:1:1: expected the header line`)
}

func TestKEV(t *testing.T) {
	doc := `{"catalogVersion": "2024.01.01", "dateReleased": "2024-01-01T12:00:00.000Z", "count": 3, "vulnerabilities": [
		{"cveID": "CVE-2023-0002", "dateAdded": "2023-05-01", "dueDate": "2023-05-22", "knownRansomwareCampaignUse": "Known"},
		{"cveID": "CVE-2023-0001", "dateAdded": "2023-04-01"}]}`
	in := read(t, "k.json", doc, Options{})
	k := in.KEV
	if k.DateReleased != "2024-01-01T12:00:00Z" || k.Entries[0].CVE != "CVE-2023-0001" || k.Entries[1].KnownRansomwareUse != "Known" || len(in.Warnings) != 1 {
		t.Errorf("kev %+v %v", k, in.Warnings)
	}
	csvIn := read(t, "k.csv", "cveID,vendorProject,product,vulnerabilityName,dateAdded,dueDate,knownRansomwareCampaignUse\n"+
		"CVE-2023-0002,x,\"y, z\",\"quoted, name\",2023-05-01,2023-05-22,Known\nCVE-2023-0001,a,b,c,2023-04-01,,Unknown\n", Options{})
	if e := csvIn.KEV.Entries; len(e) != 2 || e[0].CVE != "CVE-2023-0001" || e[1].Product != "y, z" || e[1].DueDate != "2023-05-22" || len(csvIn.Warnings) != 1 {
		t.Errorf("KEV CSV %+v", csvIn.KEV)
	}
	readErr(t, "k.csv", "cveID,dateAdded\nCVE-2023-0001,2023-01-01\nCVE-2023-0002,tomorrow\n", Options{}, `k.csv:3:1: dateAdded: invalid date "tomorrow"`)
	readErr(t, "k.json", `{"catalogVersion": "1", "vulnerabilities": [{"cveID": "CVE-2023-0001", "dateAdded": "May 1"}]}`, Options{},
		`k.json:1:\d+: /vulnerabilities/0/dateAdded: invalid date "May 1"`)
	readErr(t, "k.json", `{"catalogVersion": "1", "vulnerabilities": [{"cveID": "CVE-2023-0001", "dateAdded": "2023-01-01"}, {"cveID": "CVE-2023-0001", "dateAdded": "2023-01-01"}]}`,
		Options{}, `/vulnerabilities/1/cveID: duplicate entry for CVE-2023-0001`)
}

func TestReach(t *testing.T) {
	doc := `{"schema": "stella.reachability/v1", "facts": [
		{"purl": "pkg:npm/b@1", "state": "CR", "score": 1, "evidence": ["z", "a", "a"]},
		{"purl": "pkg:npm/a@1", "vulnerability": "CVE-2024-1", "state": "SU", "score": 0.125}]}`
	in := read(t, "r.json", doc, Options{})
	r := in.Reach
	if len(r) != 2 || r[0].Purl != "pkg:npm/a@1" || r[0].Score != decimal.MustParse("0.125") || !slices.Equal(r[1].Evidence, []string{"a", "z"}) {
		t.Errorf("reach %+v", r)
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "MAYBE", "score": 0}]}`, `/facts/0/state: unknown state "MAYBE"`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "U"}]}`, `/facts/0: fact without a score`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "U", "score": 2}]}`, `/facts/0/score: score must be a number between 0 and 1`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "U", "score": "0.5"}]}`, `/facts/0/score: score must be a number`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "npm/a", "state": "U", "score": 0}]}`, `/facts/0/purl: invalid purl`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "U", "score": 0, "why": 1}]}`, `/facts/0/why: unknown field "why"`},
		{`{"schema": "stella.reachability/v1", "facts": [{"purl": "pkg:npm/a@1", "state": "U", "score": 0}, {"purl": "pkg:npm/a@1", "state": "X", "score": 1}]}`, `/facts/1: duplicate fact`},
		{`{"schema": "stella.reachability/v2", "facts": []}`, `/schema: schema is "stella.reachability/v2"`},
	} {
		readErr(t, "r.json", tt.doc, Options{Format: Reach}, `r.json:1:\d+: `+regexpQuote(tt.want))
	}
}

func TestExceptions(t *testing.T) {
	js := `[{"id": "E-2", "vulns": ["CVE-1"], "effect": "downgrade", "severity": "low", "justification": "j", "owner": "o",
	        "status": "requested", "effective": "2024-01-01", "expires": "2024-02-01T00:00:00+01:00"},
	       {"id": "E-1", "purls": ["pkg:npm/*"], "effect": "requireControl", "control": "WAF-1", "justification": "j", "owner": "o",
	        "status": "approved", "expires": "2025-01-01T00:00:00Z", "approvers": ["z", "a"]}]`
	in := read(t, "e.json", js, Options{})
	e := in.Exceptions
	if len(e) != 2 || e[0].ID != "E-1" || e[1].Severity != "Low" || e[1].Expires != "2024-01-31T23:00:00Z" ||
		e[1].Effective != "2024-01-01T00:00:00Z" || !slices.Equal(e[0].Approvers, []string{"a", "z"}) {
		t.Errorf("exceptions %+v", e)
	}
	base := map[string]any{"id": "E", "vulns": []string{"CVE-1"}, "effect": "suppress", "justification": "j", "owner": "o", "status": "approved", "expires": "2025-01-01T00:00:00Z"}
	for _, tt := range []struct {
		change map[string]any
		want   string
	}{
		{map[string]any{"effect": "ignore"}, `/0/effect: unknown effect "ignore"`},
		{map[string]any{"effect": "downgrade"}, `/0/severity: downgrade needs a severity band`},
		{map[string]any{"effect": "requireControl"}, `/0/control: requireControl needs a control id`},
		{map[string]any{"vulns": []string{}}, `/0/vulns: an exception needs a scope`},
		{map[string]any{"purls": []string{"npm/x"}}, `/0/purls: purl pattern "npm/x" does not start with "pkg:"`},
		{map[string]any{"owner": ""}, `/0/owner: exception without an owner`},
		{map[string]any{"status": "pending"}, `/0/status: unknown status "pending"`},
		{map[string]any{"expires": "soon"}, `/0/expires: invalid timestamp "soon"`},
		{map[string]any{"created": "2026-01-01T00:00:00Z"}, `/0/expires: expires 2025-01-01T00:00:00Z is not after the start of the timebox`},
		{map[string]any{"severity": 3}, `/0: cannot unmarshal number`},
	} {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range tt.change {
			m[k] = v
		}
		b, _ := json.Marshal([]any{m})
		readErr(t, "e.json", string(b), Options{Kind: KindExceptions}, `e.json:1:\d+: `+regexpQuote(tt.want))
	}
	readErr(t, "e.yaml", "exceptions:\n  - id: E\n    vulns: [CVE-1]\n    effect: suppress\n    justification: j\n    owner: o\n    status: approved\n    expires: 2025-01-01T00:00:00Z\n  - id: E\n",
		Options{Kind: KindExceptions}, `e.yaml:9:5: /exceptions/1/id: duplicate exception id "E" \(first at /exceptions/0\)`)
	readErr(t, "e.yaml", "schema: other/v1\nexceptions: []\n", Options{Kind: KindExceptions}, `e.yaml:1:9: /schema: schema is "other/v1"`)
	readErr(t, "e.yaml", "exceptions: [1, 2]\n", Options{Kind: KindExceptions}, `e.yaml:1:14: /exceptions/0: an exception is a mapping of fields`)
}

// TestSortVEX: statements with the same id keep both (the later one gets
// its content digest appended), identical ones are kept once, in any order.
func TestSortVEX(t *testing.T) {
	a := model.VEXStatement{ID: "s", Vulnerability: "CVE-1", Status: "fixed", Products: []model.Product{}}
	b := a
	b.Status = "affected"
	c := model.VEXStatement{ID: "r", Vulnerability: "CVE-2", Status: "fixed", Products: []model.Product{}}
	one := SortVEX([]model.VEXStatement{a, b, a, c})
	two := SortVEX([]model.VEXStatement{c, b, a})
	if len(one) != 3 || one[0].ID != "r" || one[1].ID != "s" || !strings.HasPrefix(one[2].ID, "s~") {
		t.Errorf("sorted %+v", one)
	}
	if !slices.EqualFunc(one, two, func(x, y model.VEXStatement) bool { return x.ID == y.ID && x.Status == y.Status }) {
		t.Errorf("order dependent: %+v vs %+v", one, two)
	}
}

// TestDeterministic: reading the same bytes twice gives the same content.
func TestDeterministic(t *testing.T) {
	for _, doc := range []string{cdxSBOM} {
		x := read(t, "a", doc, Options{})
		y := read(t, "a", doc, Options{})
		if contentID(x.SBOM) != contentID(y.SBOM) || contentID(x.VEX) != contentID(y.VEX) {
			t.Error("two reads differ")
		}
	}
}
