package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
)

// readCycloneDX reads a CycloneDX JSON document (spec 1.2–1.7). As an SBOM
// it yields the components (nested ones included, the metadata component as
// the SBOM's root) and any VEX analysis embedded in its vulnerabilities; as
// VEX it yields only the statements. The components and dependencies are
// read in one pass (cdxReader.read), each component normalized into the
// model as it is decoded; a document that does not read that way is
// decoded whole with encoding/json, the reference, for the positioned error.
func readCycloneDX(d *doc, in *Input) error {
	c := newCDXReader(d)
	// Sized once from the bom-refs in the text rather than grown: growing
	// holds the old and the new array, twice the model at its largest
	// (docs/performance.md "Bounds"). A text can name more bom-refs than it
	// has components, so at most one per 256 bytes.
	c.hint = min(bytes.Count(d.data, []byte(`"bom-ref"`)), len(d.data)/256)
	rest, _, ok := c.read(newStream(nil, d.data, 0), math.MaxInt32, false)
	if !ok || !c.decodeRest(rest) {
		c = newCDXReader(d)
		if err := c.decodeWhole(); err != nil {
			return err
		}
	}
	return c.finish(in)
}

// decodeWhole is the reference decode: the whole text with encoding/json.
func (c *cdxReader) decodeWhole() error {
	var cd cdxDoc
	if err := decodeJSON(c.d, &cd); err != nil {
		if p, ok := specVersionProblem(c.d); ok {
			return invalid("", p)
		}
		return err
	}
	c.bom = &cd.BOM
	c.walk(cd.Components, "/components", -1)
	if cd.Dependencies != nil {
		c.deps = map[string][]string{}
		for _, dep := range *cd.Dependencies {
			c.depend(dep)
		}
	}
	return nil
}

// decodeRest decodes the members read did not (an object's text) into c.bom.
func (c *cdxReader) decodeRest(rest []byte) bool {
	var cd cdxDoc
	if json.Unmarshal(rest, &cd) != nil {
		return false
	}
	c.bom = &cd.BOM
	return true
}

// finish checks the document and builds in's SBOM and VEX statements.
func (c *cdxReader) finish(in *Input) error {
	bom := c.bom
	if bom.BOMFormat != cdx.BOMFormat {
		return invalid("", c.d.atPointer("/bomFormat", "bomFormat is %q, want %q", bom.BOMFormat, cdx.BOMFormat))
	}
	in.SpecVersion = bom.SpecVersion.String()
	if err := c.checkRefs(); err != nil {
		return err
	}
	var err error
	in.VEX, err = c.vex()
	if err != nil {
		return err
	}
	// Nothing positions a problem in the text after this: the file's bytes
	// can go before the model is finished (docs/performance.md "Bounds").
	c.d.data = nil
	if in.Kind == KindSBOM {
		in.SBOM = c.sbom()
	}
	in.Warnings = append(in.Warnings, c.w.list...)
	return nil
}

// newCDXReader is a reader of d with nothing decoded yet.
func newCDXReader(d *doc) *cdxReader {
	return &cdxReader{d: d, bom: &cdx.BOM{}, w: &warnings{d: d}}
}

type cdxReader struct {
	d    *doc
	bom  *cdx.BOM // without its components, which are in comps
	w    *warnings
	hint int // how many components to make room for

	comps   []model.Component   // in document order; Ref not yet unique, Relation not yet set
	given   []string            // each component's bom-ref
	parents []int               // the index in comps of each component's parent, -1 at the top
	deps    map[string][]string // the dependency graph
	// odd holds what VEX product resolution needs of a component whose
	// name, CPE or purl as given differs from its model's name and purl.
	odd  map[int]cdxRef
	refs map[string]cdxRef // bom-ref → component, the metadata component included (index)
	// ambiguous holds the bom-refs given to components of different
	// packages, which no component keeps (checkRefs).
	ambiguous map[string]bool

	licenses map[string][]string // shared
}

// cdxRef is what VEX product resolution needs of a component.
type cdxRef struct{ name, cpe, purl string }

// cdxAt is the JSON pointer of a component, made into text only for a
// warning: prefix, then /i when i ≥ 0.
type cdxAt struct {
	prefix string
	i      int
}

func (a cdxAt) String() string {
	if a.i < 0 {
		return a.prefix
	}
	return a.prefix + "/" + strconv.Itoa(a.i)
}

// walk adds components and the components nested in them.
func (c *cdxReader) walk(cs *[]cdxComponent, at string, parent int) {
	if cs == nil {
		return
	}
	for i := range *cs {
		c.add(&(*cs)[i], cdxAt{at, i}, parent)
	}
}

// add normalizes one component and adds its nested components after it.
func (c *cdxReader) add(comp *cdxComponent, at cdxAt, parent int) {
	n := len(c.comps)
	mc := c.component(comp, at)
	if comp.Name != mc.Name || comp.CPE != "" || comp.PackageURL != mc.Purl {
		if c.odd == nil {
			c.odd = map[int]cdxRef{}
		}
		c.odd[n] = cdxRef{name: comp.Name, cpe: comp.CPE, purl: comp.PackageURL}
	}
	c.comps = append(c.comps, mc)
	c.given = append(c.given, comp.BOMRef)
	c.parents = append(c.parents, parent)
	if comp.Components != nil {
		c.walk(comp.Components, at.String()+"/components", n)
	}
}

// index indexes the bom-refs of the components, the last of a repeated one
// winning, then those of the metadata component and the components nested
// in it, which VEX may name but which are not components of the SBOM; a
// bom-ref the components use keeps the component's entry.
func (c *cdxReader) index() {
	c.refs = map[string]cdxRef{}
	for i, ref := range c.given {
		if ref == "" {
			continue
		}
		r, ok := c.odd[i]
		if !ok {
			r = cdxRef{name: c.comps[i].Name, purl: c.comps[i].Purl}
		}
		c.refs[ref] = r
	}
	var walk func(comp *cdx.Component)
	walk = func(comp *cdx.Component) {
		if _, ok := c.refs[comp.BOMRef]; comp.BOMRef != "" && !ok {
			c.refs[comp.BOMRef] = cdxRef{name: comp.Name, cpe: comp.CPE, purl: comp.PackageURL}
		}
		if comp.Components != nil {
			for i := range *comp.Components {
				walk(&(*comp.Components)[i])
			}
		}
	}
	if m := c.bom.Metadata; m != nil && m.Component != nil {
		walk(m.Component) // the components' own entries take precedence
	}
}

// sbom builds the normalized SBOM, releasing the reader's graph and
// per-component slices as it goes.
func (c *cdxReader) sbom() *model.SBOM {
	s := &model.SBOM{Format: string(CycloneDX), SpecVersion: c.bom.SpecVersion.String(), Components: []model.Component{}}
	rootRef := ""
	seen := map[string]int{}
	if m := c.bom.Metadata; m != nil {
		if m.Component != nil {
			comp := fromCDX(m.Component)
			root := c.component(&comp, cdxAt{"/metadata/component", -1})
			root.Ref = uniqueRef(seen, root.Ref, "", "", "")
			s.Root = &root
			s.Name = m.Component.Name
			if m.Component.Group != "" {
				s.Name = m.Component.Group + "/" + m.Component.Name
			}
			rootRef = m.Component.BOMRef
			s.Tags = append(s.Tags, root.Tags...)
		}
		s.Tags = append(s.Tags, tagsOf(nil, m.Properties)...)
	}
	if s.Name == "" {
		s.Name = c.bom.SerialNumber
	}
	if c.bom.SerialNumber != "" {
		s.Serial, s.Version = c.bom.SerialNumber, max(c.bom.Version, 1)
	}
	s.Tags = sortedSet(s.Tags)

	rel := graphRelations(rootRef, c.deps)
	c.deps, c.odd, c.refs = nil, nil, nil
	for i := range c.comps {
		mc := &c.comps[i]
		if p := c.parents[i]; p >= 0 {
			mc.Relation = c.comps[p].Relation
		}
		if r, ok := rel[c.given[i]]; ok && c.given[i] != "" {
			mc.Relation = r
		}
	}
	rel = nil
	c.given, c.parents = nil, nil
	for i := range c.comps {
		if ref := c.comps[i].Ref; c.ambiguous[ref] {
			seen[ref]++ // #1, #2, … and the bare ref for none of them
			c.comps[i].Ref = fmt.Sprintf("%s#%d", ref, seen[ref])
		}
		c.comps[i].Ref = uniqueRef(seen, c.comps[i].Ref, "", "", "")
	}
	seen = nil
	if c.comps != nil {
		s.Components = c.comps
	}
	c.comps = nil
	finishSBOM(s, c.w)
	return s
}

// depend adds one entry of the dependency graph.
func (c *cdxReader) depend(d cdxDependency) {
	if d.DependsOn != nil {
		c.deps[d.Ref] = append(c.deps[d.Ref], *d.DependsOn...)
	}
}

// graphRelations classifies the nodes of a dependency graph (node → nodes it
// depends on): direct when the root depends on them, transitive when
// reachable from the root only through others. When the root is not in the
// graph (aggregate SBOMs of multi-module builds), the graph's own roots —
// nodes nothing depends on — stand in for the root's dependencies.
func graphRelations(root string, deps map[string][]string) map[string]string {
	rel := map[string]string{}
	direct, ok := deps[root]
	if root == "" || !ok {
		if len(deps) == 0 {
			return rel
		}
		depended := map[string]bool{}
		for _, ds := range deps {
			for _, d := range ds {
				depended[d] = true
			}
		}
		direct = direct[:0]
		for n := range deps {
			if !depended[n] && n != root {
				direct = append(direct, n)
			}
		}
		slices.Sort(direct) // map order must not matter
	}
	queue := make([]string, 0, len(direct))
	for _, r := range direct {
		if r != root && rel[r] == "" {
			rel[r] = "direct"
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, r := range deps[n] {
			if r != root && rel[r] == "" {
				rel[r] = "transitive"
				queue = append(queue, r)
			}
		}
	}
	return rel
}

// component normalizes one CycloneDX component; its ref is made unique
// within the SBOM later (uniqueRef).
func (c *cdxReader) component(comp *cdxComponent, at cdxAt) model.Component {
	mc := model.Component{Scope: comp.Scope, Name: comp.Name, Namespace: comp.Group, Version: comp.Version}
	if comp.PackageURL != "" {
		if _, p, err := canonPurl(comp.PackageURL); err != nil {
			c.w.add(at.String()+"/purl", "%v; component %s kept without a purl", err, named(comp.BOMRef, comp.Name, comp.Version))
		} else {
			fillFromPurl(&mc, p)
			c.w.goModuleCase(&mc, comp.Name, comp.Group+"/"+comp.Name)
		}
	}
	if comp.Licenses != nil {
		var ls []string
		for _, l := range *comp.Licenses {
			switch {
			case l.Expression != "":
				ls = append(ls, l.Expression)
			case l.License != nil && l.License.ID != "":
				ls = append(ls, l.License.ID)
			case l.License != nil && l.License.Name != "":
				ls = append(ls, l.License.Name)
			}
		}
		mc.Licenses = c.shared(sortedSet(ls))
	}
	if comp.Properties != nil {
		for _, p := range *comp.Properties {
			mc.Properties = append(mc.Properties, model.Property{Name: p.Name, Value: p.Value})
		}
		sortProperties(mc.Properties)
	}
	mc.Tags = sortedSet(tagsOf(comp.Tags, comp.Properties))
	mc.Ref = uniqueRef(map[string]int{}, comp.BOMRef, mc.Purl, comp.Name, comp.Version)
	return mc
}

// shared returns the first list of one license equal to ls: components of
// a large SBOM mostly name one of a few licenses, and each would otherwise
// hold its own copy (docs/performance.md "Bounds"). Model lists are never
// changed in place.
func (c *cdxReader) shared(ls []string) []string {
	if len(ls) != 1 {
		return ls
	}
	if s, ok := c.licenses[ls[0]]; ok {
		return s
	}
	if c.licenses == nil {
		c.licenses = map[string][]string{}
	}
	c.licenses[ls[0]] = ls
	return ls
}

// TagProperty is the property name whose values become tags (CycloneDX
// components and metadata; a value may list several, comma-separated).
const TagProperty = "stella:tag"

func tagsOf(tags *[]string, props *[]cdx.Property) []string {
	var out []string
	if tags != nil {
		out = append(out, *tags...)
	}
	if props != nil {
		for _, p := range *props {
			if p.Name == TagProperty {
				out = append(out, strings.Split(p.Value, ",")...)
			}
		}
	}
	return out
}

// uniqueRef picks a component's ref: its bom-ref (or SPDXID), else its purl,
// else name@version, made unique within the SBOM by a "#n" suffix.
func uniqueRef(seen map[string]int, given, purl, name, version string) string {
	ref := given
	if ref == "" {
		ref = purl
	}
	if ref == "" {
		ref = name
		if version != "" {
			ref += "@" + version
		}
	}
	seen[ref]++
	if n := seen[ref]; n > 1 {
		ref = fmt.Sprintf("%s#%d", ref, n)
	}
	return ref
}

// vex reads the VEX statements of the document's vulnerabilities.
func (c *cdxReader) vex() ([]model.VEXStatement, error) {
	if c.bom.Vulnerabilities == nil {
		return nil, nil
	}
	c.index()
	docID := canonicalDocID(c.d)
	if c.bom.SerialNumber != "" {
		docID = fmt.Sprintf("%s/%d", c.bom.SerialNumber, c.bom.Version)
	}
	issuer := ""
	docTime := ""
	if m := c.bom.Metadata; m != nil {
		issuer = orgName(m.Supplier, m.Manufacturer, m.Manufacture)
		if issuer == "" && m.Authors != nil && len(*m.Authors) > 0 {
			issuer = (*m.Authors)[0].Name
		}
		docTime = m.Timestamp
	}
	var out []model.VEXStatement
	for i, v := range *c.bom.Vulnerabilities {
		at := ptr("vulnerabilities", i)
		if v.ID == "" {
			return nil, invalid("", c.d.atPointer(at, "vulnerability without an id"))
		}
		base := model.VEXStatement{Format: string(CycloneDX), Document: docID, Issuer: issuer, Vulnerability: v.ID}
		if v.References != nil {
			for _, r := range *v.References {
				if r.ID != v.ID {
					base.Aliases = append(base.Aliases, r.ID)
				}
			}
		}
		ts := docTime
		for _, t := range []string{v.Updated, v.Published} {
			if t != "" {
				ts = t
				break
			}
		}
		if a := v.Analysis; a != nil && a.LastUpdated != "" {
			ts = a.LastUpdated
		}
		var err error
		if base.Timestamp, err = normTime(ts); err != nil {
			return nil, invalid("", c.d.atPointer(at, "%v", err))
		}
		sts, err := c.statements(base, v, at)
		if err != nil {
			return nil, err
		}
		out = append(out, sts...)
	}
	return finishVEX(out), nil
}

// cdxStates maps CycloneDX analysis states to VEX statuses.
var cdxStates = map[cdx.ImpactAnalysisState]string{
	cdx.IASExploitable:          model.VEXAffected,
	cdx.IASInTriage:             model.VEXUnderInvestigation,
	cdx.IASNotAffected:          model.VEXNotAffected,
	cdx.IASFalsePositive:        model.VEXNotAffected,
	cdx.IASResolved:             model.VEXFixed,
	cdx.IASResolvedWithPedigree: model.VEXFixed,
}

// cdxJustifications maps CycloneDX justifications to the OpenVEX vocabulary.
var cdxJustifications = map[cdx.ImpactAnalysisJustification]string{
	cdx.IAJCodeNotPresent:               "vulnerable_code_not_present",
	cdx.IAJCodeNotReachable:             "vulnerable_code_not_in_execute_path",
	cdx.IAJRequiresConfiguration:        "vulnerable_code_cannot_be_controlled_by_adversary",
	cdx.IAJRequiresDependency:           "component_not_present",
	cdx.IAJRequiresEnvironment:          "vulnerable_code_cannot_be_controlled_by_adversary",
	cdx.IAJProtectedByCompiler:          "inline_mitigations_already_exist",
	cdx.IAJProtectedAtRuntime:           "inline_mitigations_already_exist",
	cdx.IAJProtectedAtPerimeter:         "inline_mitigations_already_exist",
	cdx.IAJProtectedByMitigatingControl: "inline_mitigations_already_exist",
}

// cdxVersionStatus maps affects[].versions[].status, used only when a
// vulnerability carries no analysis.
var cdxVersionStatus = map[cdx.VulnerabilityStatus]string{
	cdx.VulnerabilityStatusAffected:    model.VEXAffected,
	cdx.VulnerabilityStatusNotAffected: model.VEXNotAffected,
	cdx.VulnerabilityStatusUnknown:     model.VEXUnderInvestigation,
}

// statements turns one vulnerability into statements. With an analysis
// state, one statement covers every affected product and version; without
// one, the per-version statuses decide, one statement per status.
func (c *cdxReader) statements(base model.VEXStatement, v cdx.Vulnerability, at string) ([]model.VEXStatement, error) {
	var affects []cdx.Affects
	if v.Affects != nil {
		affects = *v.Affects
	}
	if a := v.Analysis; a != nil && a.State != "" {
		st, ok := cdxStates[a.State]
		if !ok {
			return nil, invalid("", c.d.atPointer(at+"/analysis/state", "unknown analysis state %q", a.State))
		}
		s := base
		s.Status = st
		if a.Justification != "" {
			j, ok := cdxJustifications[a.Justification]
			if !ok {
				return nil, invalid("", c.d.atPointer(at+"/analysis/justification", "unknown justification %q", a.Justification))
			}
			s.OriginalJustification = string(a.Justification)
			if st == model.VEXNotAffected {
				s.Justification = j
			}
		} else if a.State == cdx.IASFalsePositive {
			s.OriginalJustification = string(cdx.IASFalsePositive)
		}
		if st == model.VEXNotAffected {
			s.ImpactStatement = a.Detail
		} else {
			s.ActionStatement = actionText(a.Response, a.Detail)
		}
		s.ID = v.BOMRef
		for j, af := range affects {
			s.Products = append(s.Products, c.products(af, fmt.Sprintf("%s/affects/%d", at, j))...)
		}
		return []model.VEXStatement{s}, nil
	}
	byStatus := map[string][]model.Product{}
	for j, af := range affects {
		if af.Range == nil {
			continue
		}
		for k, ver := range *af.Range {
			st, ok := cdxVersionStatus[ver.Status]
			if !ok {
				continue
			}
			p := c.products(cdx.Affects{Ref: af.Ref, Range: &[]cdx.AffectedVersions{ver}}, fmt.Sprintf("%s/affects/%d/versions/%d", at, j, k))
			byStatus[st] = append(byStatus[st], p...)
		}
	}
	if len(byStatus) == 0 {
		c.w.add(at, "vulnerability %s has no analysis and no version status; it is not a VEX statement and was ignored", v.ID)
		return nil, nil
	}
	var out []model.VEXStatement
	for _, st := range Statuses {
		if ps := byStatus[st]; len(ps) > 0 {
			s := base
			s.Status = st
			s.Products = ps
			if v.BOMRef != "" {
				s.ID = v.BOMRef + "#" + st
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func actionText(resp *[]cdx.ImpactAnalysisResponse, detail string) string {
	var rs []string
	if resp != nil {
		for _, r := range *resp {
			rs = append(rs, string(r))
		}
	}
	switch {
	case len(rs) == 0:
		return detail
	case detail == "":
		return strings.Join(rs, ", ")
	}
	return strings.Join(rs, ", ") + ": " + detail
}

// products resolves one affects entry to products: one per listed version or
// range, or one for every version when none are listed.
func (c *cdxReader) products(af cdx.Affects, at string) []model.Product {
	base := c.resolve(af.Ref, at+"/ref")
	if af.Range == nil || len(*af.Range) == 0 {
		return []model.Product{base}
	}
	var out []model.Product
	for _, v := range *af.Range {
		p := base
		p.Version, p.Range = v.Version, v.Range
		out = append(out, p)
	}
	return out
}

// resolve turns an affects ref (a local bom-ref or a BOM-Link
// "urn:cdx:serial/version#bom-ref") into a product, filling the purl, CPE and
// name from the referenced component when this document has it, or the purl
// from the ref itself when the ref is one.
func (c *cdxReader) resolve(ref, at string) model.Product {
	p := model.Product{BOMRef: ref}
	local, other := c.localRef(ref)
	if strings.HasPrefix(other, "pkg:") {
		p.Purl = c.w.purl(other, at)
	}
	if comp, ok := c.refs[local]; ok && local != "" {
		p.Name = comp.name
		p.CPE = comp.cpe
		if comp.purl != "" {
			p.Purl = c.w.purl(comp.purl, at)
		}
	} else if strings.HasPrefix(local, "pkg:") {
		p.Purl = c.w.purl(local, at)
	}
	return p
}

// localRef splits an affects ref: local is the bom-ref it names in this
// document (the ref itself, or the fragment of a BOM-Link to this BOM);
// other is the fragment of a BOM-Link to another BOM.
func (c *cdxReader) localRef(ref string) (local, other string) {
	if !isBOMLink(ref) {
		return ref, ""
	}
	body, frag, ok := strings.Cut(ref, "#")
	if !ok {
		return "", ""
	}
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	if sameBOM(body, c.bom.SerialNumber) {
		return frag, ""
	}
	return "", frag
}

func isBOMLink(ref string) bool {
	return strings.HasPrefix(ref, "urn:cdx:") || strings.HasPrefix(ref, "urn:uuid:")
}

// sameBOM reports whether the BOM-Link body "urn:cdx:SERIAL/VERSION" names
// the document with this serial number ("urn:uuid:SERIAL").
func sameBOM(body, serial string) bool {
	if serial == "" {
		return false
	}
	s := strings.TrimPrefix(strings.TrimPrefix(body, "urn:cdx:"), "urn:uuid:")
	s, _, _ = strings.Cut(s, "/")
	return strings.EqualFold(s, strings.TrimPrefix(serial, "urn:uuid:"))
}

func orgName(es ...*cdx.OrganizationalEntity) string {
	for _, e := range es {
		if e != nil && e.Name != "" {
			return e.Name
		}
	}
	return ""
}

// canonicalDocID is the id of a document that names itself nowhere: the
// digest of its canonical JSON, so whitespace and key order do not change it.
func canonicalDocID(d *doc) string {
	b, err := canon.Transform(d.data)
	if err != nil {
		b = d.data
	}
	return canon.Digest(b)
}
