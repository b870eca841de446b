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
	v := sd.SPDXVersion
	switch {
	case strings.HasPrefix(v, "SPDX-2."):
	case strings.HasPrefix(v, "SPDX-3"):
		return invalid("", d.atPointer("/spdxVersion", "SPDX 3 (JSON-LD) is not supported; convert to SPDX 2.3 JSON"))
	default:
		return invalid("", d.atPointer("/spdxVersion", "unsupported spdxVersion %q (want SPDX-2.2 or SPDX-2.3)", v))
	}
	in.SpecVersion = v
	w := &warnings{d: d}

	roots := map[string]bool{}
	for _, r := range sd.DocumentDescribes {
		roots[r] = true
	}
	deps := map[string][]string{}
	scope := map[string]string{}
	for i, r := range sd.Relationships {
		if r.Element == "" || r.Related == "" {
			return invalid("", d.atPointer(ptr("relationships", i), "relationship without spdxElementId or relatedSpdxElement"))
		}
		t := strings.ToUpper(r.Type)
		switch {
		case (t == "DESCRIBES" || t == "DESCRIBE") && r.Element == sd.SPDXID: // trivy writes DESCRIBE
			roots[r.Related] = true
		case t == "DESCRIBED_BY" && r.Related == sd.SPDXID:
			roots[r.Element] = true
		case spdxDependsOn[t]:
			deps[r.Element] = append(deps[r.Element], r.Related)
		default:
			if sc, ok := spdxDependencyOf[t]; ok {
				deps[r.Related] = append(deps[r.Related], r.Element)
				if sc != "" {
					scope[r.Element] = sc
				}
			}
		}
	}
	rootID := ""
	if len(roots) == 1 {
		for r := range roots {
			rootID = r
		}
	}
	rel := graphRelations(rootID, deps)

	s := &model.SBOM{Format: string(SPDX), SpecVersion: v, Name: sd.Name, Components: []model.Component{}}
	seen := map[string]int{}
	ids := map[string]bool{}
	for i, p := range sd.Packages {
		at := ptr("packages", i)
		if p.SPDXID == "" {
			return invalid("", d.atPointer(at, "package without an SPDXID"))
		}
		if ids[p.SPDXID] {
			return invalid("", d.atPointer(at+"/SPDXID", "duplicate SPDXID %q", p.SPDXID))
		}
		ids[p.SPDXID] = true
		c := model.Component{Name: p.Name, Version: p.VersionInfo, Scope: scope[p.SPDXID], Relation: rel[p.SPDXID]}
		purls := 0
		for j, r := range p.ExternalRefs {
			if !strings.EqualFold(r.Type, "purl") {
				continue
			}
			purls++
			if purls > 1 {
				w.add(fmt.Sprintf("%s/externalRefs/%d", at, j), "package has more than one purl; using the first")
				continue
			}
			if _, pu, err := canonPurl(r.Locator); err != nil {
				w.add(fmt.Sprintf("%s/externalRefs/%d/referenceLocator", at, j), "%v; component kept without a purl", err)
			} else {
				fillFromPurl(&c, pu)
				w.goModuleCase(&c, p.Name)
			}
		}
		if l := spdxLicense(p.LicenseConcluded); l != "" {
			c.Licenses = []string{l}
		} else if l := spdxLicense(p.LicenseDeclared); l != "" {
			c.Licenses = []string{l}
		}
		c.Ref = uniqueRef(seen, p.SPDXID, "", "", "")
		if p.SPDXID == rootID {
			c.Relation = ""
			s.Root = &c
			if s.Name == "" {
				s.Name = p.Name
			}
			continue
		}
		s.Components = append(s.Components, c)
	}
	finishSBOM(s, w)
	in.SBOM = s
	in.Warnings = append(in.Warnings, w.list...)
	return nil
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
