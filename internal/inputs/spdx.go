package inputs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/model"
)

// SPDX 2.x JSON is read with hand-written structs rather than
// spdx/tools-golang: tools-golang rejects real SBOMs for fields stella does
// not use (syft's "Originator: Georg Brandl <…>" in the grype release SBOM)
// and its 2.2→2.3 conversion costs a quarter of a second on the 3,952-package
// newrelic SBOM. Only the fields below are read; everything else is ignored.

type spdxDoc struct {
	SPDXVersion       string         `json:"spdxVersion"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	DocumentDescribes []string       `json:"documentDescribes"`
	Packages          []spdxPackage  `json:"packages"`
	Relationships     []spdxRelation `json:"relationships"`
}

type spdxPackage struct {
	SPDXID           string       `json:"SPDXID"`
	Name             string       `json:"name"`
	VersionInfo      string       `json:"versionInfo"`
	LicenseConcluded string       `json:"licenseConcluded"`
	LicenseDeclared  string       `json:"licenseDeclared"`
	ExternalRefs     []spdxExtRef `json:"externalRefs"`
}

type spdxExtRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelation struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// spdxDependsOn are the relationship types A→B meaning "A depends on B";
// spdxDependencyOf the types meaning "A is a dependency of B" (edge B→A),
// with the scope they imply.
var (
	spdxDependsOn    = map[string]bool{"DEPENDS_ON": true}
	spdxDependencyOf = map[string]string{
		"DEPENDENCY_OF":          "",
		"RUNTIME_DEPENDENCY_OF":  "required",
		"OPTIONAL_DEPENDENCY_OF": "optional",
		"PROVIDED_DEPENDENCY_OF": "",
		"DEV_DEPENDENCY_OF":      "excluded",
		"TEST_DEPENDENCY_OF":     "excluded",
		"BUILD_DEPENDENCY_OF":    "excluded",
	}
)

// readSPDX reads an SPDX 2.x JSON document: packages become components
// (purl from externalRefs), the package the document DESCRIBES becomes the
// root, and dependency relationships decide direct/transitive.
func readSPDX(d *doc, in *Input) error {
	var sd spdxDoc
	if !decodeSPDX(d.data, &sd) {
		sd = spdxDoc{}
		if err := decodeJSON(d, &sd); err != nil {
			return err
		}
	}
	if err := spdxVersion(d, sd.SPDXVersion); err != nil {
		return err
	}
	r := newSPDXReader(d)
	for i, rel := range sd.Relationships {
		if err := r.relation(rel, i); err != nil {
			return err
		}
	}
	for i := range sd.Packages {
		if err := r.pkg(&sd.Packages[i], i); err != nil {
			return err
		}
	}
	sd.Packages, sd.Relationships = nil, nil
	r.finish(&sd, in)
	return nil
}

// spdxVersion checks the document's spdxVersion.
func spdxVersion(d *doc, v string) error {
	switch {
	case strings.HasPrefix(v, "SPDX-2."):
		return nil
	case strings.HasPrefix(v, "SPDX-3"):
		return invalid("", d.atPointer("/spdxVersion", "SPDX 3 (JSON-LD) is not supported; convert to SPDX 2.3 JSON"))
	}
	return invalid("", d.atPointer("/spdxVersion", "unsupported spdxVersion %q (want SPDX-2.2 or SPDX-2.3)", v))
}

// spdxReader builds the SBOM of an SPDX document from its packages and
// relationships taken one at a time, in either order, so that a document
// read from its file is never held whole (docs/inputs.md "Memory").
type spdxReader struct {
	d         *doc
	w         *warnings
	ids       map[string]bool     // the packages' SPDXIDs
	comps     []model.Component   // Ref is the SPDXID; Scope and Relation not yet set
	describes []spdxRelation      // DESCRIBES and DESCRIBED_BY, checked against the document's SPDXID at the end
	deps      map[string][]string // the dependency graph
	scope     map[string]string   // scope implied by *_DEPENDENCY_OF
}

func newSPDXReader(d *doc) *spdxReader {
	return &spdxReader{d: d, w: &warnings{d: d}, ids: map[string]bool{}, deps: map[string][]string{}, scope: map[string]string{}}
}

// relation takes relationship i.
func (r *spdxReader) relation(rel spdxRelation, i int) error {
	if rel.Element == "" || rel.Related == "" {
		return invalid("", r.d.atPointer(ptr("relationships", i), "relationship without spdxElementId or relatedSpdxElement"))
	}
	t := strings.ToUpper(rel.Type)
	switch {
	case t == "DESCRIBES" || t == "DESCRIBE" || t == "DESCRIBED_BY": // trivy writes DESCRIBE
		rel.Type = t
		r.describes = append(r.describes, rel)
	case spdxDependsOn[t]:
		r.deps[rel.Element] = append(r.deps[rel.Element], rel.Related)
	default:
		if sc, ok := spdxDependencyOf[t]; ok {
			r.deps[rel.Related] = append(r.deps[rel.Related], rel.Element)
			if sc != "" {
				r.scope[rel.Element] = sc
			}
		}
	}
	return nil
}

// pkg takes package i as a component.
func (r *spdxReader) pkg(p *spdxPackage, i int) error {
	at := ptr("packages", i)
	if p.SPDXID == "" {
		return invalid("", r.d.atPointer(at, "package without an SPDXID"))
	}
	if r.ids[p.SPDXID] {
		return invalid("", r.d.atPointer(at+"/SPDXID", "duplicate SPDXID %q", p.SPDXID))
	}
	r.ids[p.SPDXID] = true
	c := model.Component{Ref: p.SPDXID, Name: p.Name, Version: p.VersionInfo}
	used := false
	for j, ref := range p.ExternalRefs {
		if !strings.EqualFold(ref.Type, "purl") {
			continue
		}
		if used {
			r.w.add(fmt.Sprintf("%s/externalRefs/%d", at, j), "package has more than one purl; using the first valid one")
			continue
		}
		if _, pu, err := canonPurl(ref.Locator); err != nil {
			r.w.add(fmt.Sprintf("%s/externalRefs/%d/referenceLocator", at, j), "%v; ignored for package %s", err, named(p.SPDXID, p.Name, p.VersionInfo))
		} else {
			fillFromPurl(&c, pu)
			r.w.goModuleCase(&c, p.Name)
			used = true
		}
	}
	if l := spdxLicense(p.LicenseConcluded); l != "" {
		c.Licenses = []string{l}
	} else if l := spdxLicense(p.LicenseDeclared); l != "" {
		c.Licenses = []string{l}
	}
	r.comps = append(r.comps, c)
	return nil
}

// finish builds in's SBOM from the document's other members (sd without
// its packages and relationships).
func (r *spdxReader) finish(sd *spdxDoc, in *Input) {
	roots := map[string]bool{}
	for _, id := range sd.DocumentDescribes {
		roots[id] = true
	}
	for _, rel := range r.describes {
		switch {
		case rel.Type != "DESCRIBED_BY" && rel.Element == sd.SPDXID:
			roots[rel.Related] = true
		case rel.Type == "DESCRIBED_BY" && rel.Related == sd.SPDXID:
			roots[rel.Element] = true
		}
	}
	rootID := ""
	if len(roots) == 1 {
		for id := range roots {
			rootID = id
		}
	}
	rel := graphRelations(rootID, r.deps)
	r.deps, r.ids = nil, nil
	s := &model.SBOM{Format: string(SPDX), SpecVersion: sd.SPDXVersion, Name: sd.Name, Components: []model.Component{}}
	// Components are sorted by finishSBOM (their refs are unique), so the
	// root leaves its place to the last one.
	for i := 0; i < len(r.comps); i++ {
		c := &r.comps[i]
		if c.Ref == rootID {
			root := *c
			root.Scope = r.scope[root.Ref]
			s.Root = &root
			if s.Name == "" {
				s.Name = root.Name
			}
			r.comps[i] = r.comps[len(r.comps)-1]
			r.comps = r.comps[:len(r.comps)-1]
			i--
			continue
		}
		c.Scope, c.Relation = r.scope[c.Ref], rel[c.Ref]
	}
	if r.comps != nil {
		s.Components = r.comps
	}
	r.comps = nil
	finishSBOM(s, r.w)
	in.SpecVersion = sd.SPDXVersion
	in.SBOM = s
	in.Warnings = append(in.Warnings, r.w.list...)
}

// spdxLicense drops the SPDX placeholders that say nothing.
func spdxLicense(l string) string {
	switch l = strings.TrimSpace(l); l {
	case "NOASSERTION", "NONE":
		return ""
	}
	return l
}

// finishSBOM sorts the components, counts and reports those without a purl,
// and computes the SBOM's digest: the digest of its canonical JSON with the
// digest fields themselves empty (docs/inputs.md), so it depends only on the
// normalized content.
func finishSBOM(s *model.SBOM, w *warnings) {
	slices.SortFunc(s.Components, func(a, b model.Component) int {
		return cmp.Or(strings.Compare(a.Purl, b.Purl), strings.Compare(a.Ref, b.Ref))
	})
	var refs []string
	for _, c := range s.Components {
		if c.Purl == "" {
			s.NoPurl++
			refs = append(refs, c.Ref)
		}
	}
	if n := len(w.goCase); n > 0 {
		paths := slices.Sorted(slices.Values(w.goCase))
		if n > 5 {
			paths = append(paths[:5], "…")
		}
		what := "1 Go purl has"
		if n > 1 {
			what = fmt.Sprintf("%d Go purls have", n)
		}
		w.add("", "%s a lowercased module path; matched under the case of the package name: %s", what, strings.Join(paths, ", "))
	}
	if s.NoPurl > 0 {
		if len(refs) > 5 {
			refs = append(refs[:5], "…")
		}
		w.add("", "%d components have no purl and cannot match advisories: %s", s.NoPurl, strings.Join(refs, ", "))
	}
	s.Digest = ""
	s.Digest, _ = DigestSBOM(s)
	for i := range s.Components {
		s.Components[i].SBOM = s.Digest
	}
	if s.Root != nil {
		s.Root.SBOM = s.Digest
	}
}

func sortProperties(ps []model.Property) {
	slices.SortFunc(ps, func(a, b model.Property) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
}
