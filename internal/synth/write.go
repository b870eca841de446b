package synth

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Files names what Write wrote.
type Files struct {
	SBOM       string // CycloneDX 1.5 JSON
	Advisories string // OSV zip (one record a member) or directory
	VEX        string // OpenVEX 0.2.0 JSON; "" when Config.VEX is 0
}

// Layout says how Write stores the advisories.
type Layout int

const (
	Zip Layout = iota // osv.zip, like osv.dev's all.zip
	Dir               // osv/, one file a record
)

// epoch is the start of the synthetic timeline: no clock is read.
var epoch = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)

func stamp(minutes int) string {
	return epoch.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)
}

// Write writes the input set of c into dir (created if needed).
func Write(dir string, c Config, layout Layout) (Files, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, err
	}
	f := Files{SBOM: filepath.Join(dir, "sbom.cdx.json")}
	s := NewSet(c)
	if err := writeJSON(f.SBOM, s.SBOM()); err != nil {
		return Files{}, err
	}
	var err error
	if layout == Dir {
		f.Advisories = filepath.Join(dir, "osv")
		err = s.writeDir(f.Advisories)
	} else {
		f.Advisories = filepath.Join(dir, "osv.zip")
		err = s.writeZip(f.Advisories)
	}
	if err != nil {
		return Files{}, err
	}
	if c.VEX > 0 {
		f.VEX = filepath.Join(dir, "vex.openvex.json")
		if err := writeJSON(f.VEX, s.VEX()); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

// Set derives the documents of a Config.
type Set struct {
	c    Config
	pkgs int // packages the SBOM draws from: [0, pkgs)
}

// NewSet returns the set of c.
func NewSet(c Config) *Set {
	return &Set{c: c, pkgs: max(1, c.Components*4/5)}
}

// component returns the package index and version of component i: the
// first pkgs components are one package each, the rest a second version
// of an earlier package.
func (s *Set) component(i int) (int, string) {
	p := i % s.pkgs
	h := pkgOf(p).history(p)
	k := int(mix(uint64(i), s.c.Seed) % uint64(len(h)))
	if i >= s.pkgs && k == int(mix(uint64(p), s.c.Seed)%uint64(len(h))) {
		k = (k + 1) % len(h) // not the version of the first component of p
	}
	return p, h[k]
}

// CycloneDX output, in the field order real generators use.
type (
	cdxBOM struct {
		BOMFormat    string          `json:"bomFormat"`
		SpecVersion  string          `json:"specVersion"`
		SerialNumber string          `json:"serialNumber"`
		Version      int             `json:"version"`
		Metadata     cdxMetadata     `json:"metadata"`
		Components   []cdxComponent  `json:"components"`
		Dependencies []cdxDependency `json:"dependencies"`
	}
	cdxMetadata struct {
		Timestamp string       `json:"timestamp"`
		Component cdxComponent `json:"component"`
	}
	cdxComponent struct {
		Type       string        `json:"type"`
		BOMRef     string        `json:"bom-ref"`
		Group      string        `json:"group,omitempty"`
		Name       string        `json:"name"`
		Version    string        `json:"version"`
		Purl       string        `json:"purl,omitempty"`
		Licenses   []cdxLicense  `json:"licenses,omitempty"`
		Properties []cdxProperty `json:"properties,omitempty"`
	}
	cdxLicense struct {
		License struct {
			ID string `json:"id"`
		} `json:"license"`
	}
	cdxProperty struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	cdxDependency struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	}
)

var licenses = []string{"MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MPL-2.0", "GPL-3.0-only", "LGPL-2.1-only"}

// SBOM returns the CycloneDX document: Components components, a tenth of
// them direct dependencies of the root, each depending on up to two later
// ones; one in twenty tagged runtime:eol.
func (s *Set) SBOM() any {
	n := s.c.Components
	r := rand.New(rand.NewPCG(s.c.Seed, 1))
	bom := cdxBOM{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		SerialNumber: fmt.Sprintf("urn:uuid:%08x-0000-4000-8000-%012x", uint32(s.c.Seed), uint64(n)),
		Metadata: cdxMetadata{Timestamp: "2025-06-01T00:00:00Z",
			Component: cdxComponent{Type: "application", BOMRef: "root", Name: "synthetic-app", Version: "1.0.0"}},
		Components: make([]cdxComponent, n)}
	root := cdxDependency{Ref: "root", DependsOn: []string{}}
	for i := range n {
		p, v := s.component(i)
		pk := pkgOf(p)
		cv := pk.componentVersion(v)
		c := cdxComponent{Type: "library", BOMRef: fmt.Sprintf("c%d", i), Name: pk.name, Version: cv, Purl: pk.purl(cv)}
		if pk.eco.purlType == "maven" {
			c.Group = pk.namespace
		}
		var l cdxLicense
		l.License.ID = licenses[r.IntN(len(licenses))]
		c.Licenses = []cdxLicense{l}
		if r.IntN(20) == 0 {
			c.Properties = []cdxProperty{{Name: "stella:tag", Value: "runtime:eol"}}
		}
		bom.Components[i] = c
		if i%10 == 0 {
			root.DependsOn = append(root.DependsOn, c.BOMRef)
		}
	}
	bom.Dependencies = append(bom.Dependencies, root)
	for i := range n {
		d := cdxDependency{Ref: fmt.Sprintf("c%d", i), DependsOn: []string{}}
		for range r.IntN(3) {
			if j := i + 1 + r.IntN(50); j < n {
				d.DependsOn = append(d.DependsOn, fmt.Sprintf("c%d", j))
			}
		}
		bom.Dependencies = append(bom.Dependencies, d)
	}
	return bom
}

// OSV output.
type (
	osvRecord struct {
		SchemaVersion    string         `json:"schema_version"`
		ID               string         `json:"id"`
		Modified         string         `json:"modified"`
		Published        string         `json:"published"`
		Aliases          []string       `json:"aliases,omitempty"`
		Summary          string         `json:"summary"`
		Details          string         `json:"details"`
		Severity         []osvSeverity  `json:"severity,omitempty"`
		Affected         []osvAffected  `json:"affected"`
		References       []osvReference `json:"references"`
		DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
	}
	osvSeverity struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	}
	osvAffected struct {
		Package          osvPackage     `json:"package"`
		Ranges           []osvRange     `json:"ranges"`
		Versions         []string       `json:"versions,omitempty"`
		DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
	}
	osvPackage struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl,omitempty"`
	}
	osvRange struct {
		Type   string              `json:"type"`
		Events []map[string]string `json:"events"`
	}
	osvReference struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
)

// vectors are real CVSS v3.1 base vectors, Critical to Low.
var vectors = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
}

var severityWords = []string{"CRITICAL", "HIGH", "MODERATE", "LOW"}

// ghsaAlphabet is the alphabet of GHSA ids.
const ghsaAlphabet = "23456789cfghjmpqrvwx"

// ghsa spells a unique GHSA id for i (a bijection on [0, 20^12)).
func ghsa(i int) string {
	x := uint64(i+1) * 0x9E3779B1 % 4096000000000000 // 20^12; the factor is prime to 20
	var b [14]byte
	for k := 13; k >= 0; k-- {
		if k == 4 || k == 9 {
			b[k] = '-'
			continue
		}
		b[k] = ghsaAlphabet[x%20]
		x /= 20
	}
	return "GHSA-" + string(b[:])
}

// advisoryID names advisory i in the style of its ecosystem's database.
func advisoryID(i int, e *eco) string {
	year := 2018 + i%8
	switch e.purlType {
	case "golang":
		return fmt.Sprintf("GO-%d-%04d", year, i)
	case "cargo":
		return fmt.Sprintf("RUSTSEC-%d-%04d", year, i)
	case "pypi":
		if i%2 == 0 {
			return fmt.Sprintf("PYSEC-%d-%d", year, i)
		}
	}
	return ghsa(i)
}

// advisoryPackage returns the package advisory i names: one of the SBOM's
// for a Hit fraction, else one the SBOM does not hold (a few advisories each).
func (s *Set) advisoryPackage(i int) int {
	if float64(mix(uint64(i), s.c.Seed+11)%1_000_000) < s.c.hit()*1_000_000 {
		return int(mix(uint64(i), s.c.Seed+13) % uint64(s.pkgs))
	}
	return s.pkgs + int(mix(uint64(i), s.c.Seed+17)%uint64(s.c.Advisories/3+1))
}

// Advisory returns OSV record i.
func (s *Set) Advisory(i int) any {
	r := rand.New(rand.NewPCG(s.c.Seed, uint64(i)+2))
	p := s.advisoryPackage(i)
	pk := pkgOf(p)
	h := pk.history(p)
	id := advisoryID(i, pk.eco)
	cve := fmt.Sprintf("CVE-%d-%d", 2018+i%8, 10000+i)
	pub := i*37%(7*365*24*60) + r.IntN(60)
	rec := osvRecord{SchemaVersion: "1.6.0", ID: id, Published: stamp(pub), Modified: stamp(pub + 1440 + r.IntN(90*1440)),
		Aliases: []string{cve},
		Summary: fmt.Sprintf("%s in %s", []string{"Prototype pollution", "Denial of service", "Path traversal",
			"Cross-site scripting", "Remote code execution", "Improper input validation"}[r.IntN(6)], pk.osvName()),
		Details: fmt.Sprintf("Versions of %s before the fix mishandle crafted input. An attacker who controls the input "+
			"can trigger the flaw remotely. Upgrade to a fixed release; no workaround is known.", pk.osvName()),
		References: []osvReference{{Type: "ADVISORY", URL: "https://nvd.nist.gov/vuln/detail/" + cve},
			{Type: "PACKAGE", URL: "https://example.org/packages/" + pk.name}}}
	word := severityWords[r.IntN(len(severityWords))]
	if r.IntN(5) != 0 {
		rec.Severity = []osvSeverity{{Type: "CVSS_V3", Score: vectors[r.IntN(len(vectors))]}}
	}
	if id[:4] == "GHSA" {
		rec.DatabaseSpecific = map[string]any{"severity": word, "cwe_ids": []string{fmt.Sprintf("CWE-%d", 20+r.IntN(900))}, "github_reviewed": true}
	}
	af := osvAffected{Package: osvPackage{Ecosystem: pk.eco.osv, Name: pk.osvName()}}
	if r.IntN(2) == 0 {
		af.Package.Purl = pk.purl("")
	}
	rg := osvRange{Type: pk.eco.rangeType}
	lo := r.IntN(len(h))
	if r.IntN(3) == 0 {
		rg.Events = append(rg.Events, map[string]string{"introduced": "0"})
		lo = 0
	} else {
		rg.Events = append(rg.Events, map[string]string{"introduced": h[lo]})
	}
	hi := lo + 1 + r.IntN(len(h)-lo)
	switch {
	case hi < len(h):
		rg.Events = append(rg.Events, map[string]string{"fixed": h[hi]})
	case r.IntN(2) == 0:
		rg.Events = append(rg.Events, map[string]string{"last_affected": h[len(h)-1]})
	}
	af.Ranges = []osvRange{rg}
	if pk.eco.rangeType == "ECOSYSTEM" && r.IntN(5) < 2 {
		af.Versions = h[lo:hi]
	}
	if pk.eco.purlType == "golang" {
		af.DatabaseSpecific = map[string]any{"url": "https://pkg.go.dev/vuln/" + id}
	}
	rec.Affected = []osvAffected{af}
	return rec
}

func (s *Set) writeZip(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	for i := range s.c.Advisories {
		rec := s.Advisory(i).(osvRecord)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: rec.ID + ".json", Method: zip.Deflate, Modified: epoch})
		if err != nil {
			return err
		}
		if err := encode(w, rec); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func (s *Set) writeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range s.c.Advisories {
		rec := s.Advisory(i).(osvRecord)
		if err := writeJSON(filepath.Join(dir, rec.ID+".json"), rec); err != nil {
			return err
		}
	}
	return nil
}

// OpenVEX output.
type (
	vexDoc struct {
		Context    string         `json:"@context"`
		ID         string         `json:"@id"`
		Author     string         `json:"author"`
		Timestamp  string         `json:"timestamp"`
		Version    int            `json:"version"`
		Statements []vexStatement `json:"statements"`
	}
	vexStatement struct {
		Vulnerability struct {
			Name string `json:"name"`
		} `json:"vulnerability"`
		Products []struct {
			ID string `json:"@id"`
		} `json:"products"`
		Status          string `json:"status"`
		Justification   string `json:"justification,omitempty"`
		ImpactStatement string `json:"impact_statement,omitempty"`
		Timestamp       string `json:"timestamp"`
	}
)

var (
	vexStatuses = []string{"not_affected", "not_affected", "affected", "fixed", "under_investigation"}
	vexJusts    = []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"inline_mitigations_already_exist"}
)

// VEX returns the OpenVEX document: statements about advisories that name a
// package of the SBOM, for one of its components (by id or CVE alias, for
// the exact purl or every version); one in twenty names a component the
// SBOM does not hold and so attaches to nothing.
func (s *Set) VEX() any {
	r := rand.New(rand.NewPCG(s.c.Seed, 3))
	doc := vexDoc{Context: "https://openvex.dev/ns/v0.2.0", ID: fmt.Sprintf("https://synthetic.example/vex/%d", s.c.Seed),
		Author: "Synthetic Vendor PSIRT", Timestamp: "2025-06-01T00:00:00Z", Version: 1}
	hits := s.hitAdvisories()
	for k := range s.c.VEX {
		var st vexStatement
		var i int
		if len(hits) > 0 {
			i = hits[r.IntN(len(hits))]
		} else {
			i = r.IntN(max(1, s.c.Advisories))
		}
		p := s.advisoryPackage(i)
		pk := pkgOf(p)
		st.Vulnerability.Name = advisoryID(i, pk.eco)
		if r.IntN(3) == 0 {
			st.Vulnerability.Name = fmt.Sprintf("CVE-%d-%d", 2018+i%8, 10000+i)
		}
		h := pk.history(p)
		v := pk.componentVersion(h[r.IntN(len(h))])
		if p < s.pkgs {
			_, v = s.component(p)
			v = pk.componentVersion(v)
		}
		purl := pk.purl(v)
		switch {
		case r.IntN(20) == 0:
			purl = pkgOf(s.pkgs + s.c.Advisories + k).purl("1.0.0")
		case r.IntN(4) == 0:
			purl = pk.purl("") // every version
		}
		st.Products = append(st.Products, struct {
			ID string `json:"@id"`
		}{purl})
		st.Status = vexStatuses[r.IntN(len(vexStatuses))]
		if st.Status == "not_affected" {
			st.Justification = vexJusts[r.IntN(len(vexJusts))]
			st.ImpactStatement = "The vulnerable function is not called by this product."
		}
		st.Timestamp = stamp(7*365*24*60 + k)
		doc.Statements = append(doc.Statements, st)
	}
	return doc
}

// hitAdvisories lists the advisories (up to 100k) that name a package of
// the SBOM.
func (s *Set) hitAdvisories() []int {
	var out []int
	for i := 0; i < s.c.Advisories && len(out) < 100_000; i++ {
		if s.advisoryPackage(i) < s.pkgs {
			out = append(out, i)
		}
	}
	return out
}

func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := encode(bw, v); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// encode writes v as indented JSON, as the public databases publish it.
func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
