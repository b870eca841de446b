package inputs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
)

// timeLayouts are the timestamp spellings accepted besides RFC 3339; a time
// without a zone is taken as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // "+0000" offsets (EPSS headers)
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02",
}

// normTime returns s as an RFC 3339 UTC timestamp with only the fractional
// digits it needs ("2023-01-09T00:02:03.647787998Z"), or "" for "".
func normTime(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
	}
	return "", fmt.Errorf("invalid timestamp %q (want RFC 3339, e.g. 2024-01-02T03:04:05Z)", s)
}

// normDate checks a calendar date "YYYY-MM-DD" (KEV dates).
func normDate(s string) (string, error) {
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return "", fmt.Errorf("invalid date %q (want YYYY-MM-DD)", s)
	}
	return s, nil
}

// canonPurl returns the canonical form of a purl, or an error saying what is
// wrong with it.
func canonPurl(s string) (string, purl.PURL, error) {
	if len(s) > MaxPurlBytes {
		return "", purl.PURL{}, fmt.Errorf("purl of %d bytes is over the limit of %d", len(s), MaxPurlBytes)
	}
	p, err := purl.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", purl.PURL{}, err
	}
	return p.String(), p, nil
}

// MaxPurlBytes bounds one purl: a longer one is not parsed (its component
// is kept without a purl, with a warning), so that a hostile purl costs its
// bytes once, not once per copy made while normalizing it (docs/inputs.md).
const MaxPurlBytes = 64 << 10

// fillFromPurl sets a component's package identity from its purl: the purl
// parts, the OSV ecosystem and package name (internal/purl) and the version
// that ranges are matched against.
//
// The parts that the canonical purl spells as they are share its bytes
// instead of holding copies of their own: a component's strings cost about
// its purl once (docs/performance.md "Bounds").
func fillFromPurl(c *model.Component, p purl.PURL) {
	c.Purl = p.String()
	in := func(s string) string {
		if i := strings.Index(c.Purl, s); s != "" && i >= 0 {
			return c.Purl[i : i+len(s)]
		}
		return s
	}
	c.Type, c.Namespace, c.Name = in(p.Type), in(p.Namespace), in(p.Name)
	if v := purl.Version(p); v != "" {
		c.Version = in(v)
	}
	if eco, name, ok := purl.OSV(p); ok {
		c.Ecosystem, c.Package = eco, in(name)
	}
}

// sortedSet returns the distinct non-empty strings of ss, sorted.
func sortedSet(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// contentID returns the digest of v's canonical JSON: the id of a statement
// or document that has none of its own.
func contentID(v any) string { return canon.Digest(canonical(v)) }

// canonical is the canonical JSON of a model value, which always encodes.
// canon.Append writes the bytes straight from the value: one buffer instead
// of encoding/json's output and its canonical copy (docs/performance.md
// "Bounds"); Marshal for what Append does not take.
func canonical(v any) []byte {
	if b, err := canon.Append(nil, v); err == nil {
		return b
	}
	b, err := canon.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("canonical JSON of normalized content: %v", err)) // model values always encode
	}
	return b
}

// finishVEX gives statements without an id a content-derived one, sorts the
// statements and their product lists, and drops exact duplicates.
func finishVEX(ss []model.VEXStatement) []model.VEXStatement {
	for i := range ss {
		s := &ss[i]
		s.Aliases = sortedSet(s.Aliases)
		slices.SortFunc(s.Products, cmpProduct)
		s.Products = slices.Compact(s.Products)
		slices.SortFunc(s.Subcomponents, cmpProduct)
		s.Subcomponents = slices.Compact(s.Subcomponents)
		if s.Products == nil {
			s.Products = []model.Product{}
		}
		if s.ID == "" {
			s.ID = contentID(s)
		}
	}
	return SortVEX(ss)
}

// SortVEX sorts statements by id and resolves id collisions: exact duplicates
// are dropped, and a statement whose id is taken by different content gets
// its own content digest appended ("id~<12 hex>"), so no statement is lost and
// the result does not depend on input order.
func SortVEX(ss []model.VEXStatement) []model.VEXStatement {
	type keyed struct {
		st     model.VEXStatement
		digest string // only computed where ids collide
	}
	ks := make([]keyed, len(ss))
	for i, s := range ss {
		ks[i] = keyed{st: s}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.st.ID, b.st.ID) })
	// Statements sharing an id are ordered by content digest.
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && ks[j].st.ID == ks[i].st.ID {
			j++
		}
		if j-i > 1 {
			for k := i; k < j; k++ {
				ks[k].digest = contentID(ks[k].st)
			}
			slices.SortFunc(ks[i:j], func(a, b keyed) int { return strings.Compare(a.digest, b.digest) })
		}
		i = j
	}
	out := make([]model.VEXStatement, 0, len(ks))
	for i, k := range ks {
		if i > 0 && ks[i-1].st.ID == k.st.ID {
			if ks[i-1].digest == k.digest {
				continue
			}
			k.st.ID += "~" + canon.Short(k.digest, 12)
		}
		out = append(out, k.st)
	}
	slices.SortFunc(out, func(a, b model.VEXStatement) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func cmpProduct(a, b model.Product) int {
	return cmp.Or(
		strings.Compare(a.ID, b.ID), strings.Compare(a.Purl, b.Purl), strings.Compare(a.CPE, b.CPE),
		strings.Compare(a.BOMRef, b.BOMRef), strings.Compare(a.Version, b.Version), strings.Compare(a.Range, b.Range),
		strings.Compare(a.Name, b.Name))
}

// vexProduct builds a product from an identifier that may be a purl, a CPE
// or an opaque id, canonicalizing a purl and warning when it is invalid.
func vexProduct(id string, w *warnings, at string) model.Product {
	p := model.Product{ID: id}
	switch {
	case strings.HasPrefix(id, "pkg:"):
		p.Purl = w.purl(id, at)
	case strings.HasPrefix(id, "cpe:"):
		p.CPE = id
	}
	return p
}

// warnings collects a reader's warnings for one document.
type warnings struct {
	d      *doc
	list   []Problem
	goCase []string // Go module paths whose case came from the SBOM's package name (goModuleCase)
}

// goModuleCase restores a Go module path that the SBOM generator lowercased
// in the purl (Go paths are case-sensitive): when the component's package is
// all lowercase and one of the names the SBOM gives it (SPDX name, CycloneDX
// name or group/name) spells the same path with capitals, that spelling is
// the package matched (docs/conformance.md "Go module paths").
func (w *warnings) goModuleCase(c *model.Component, names ...string) {
	if purl.Base(c.Ecosystem) != purl.Go || c.Package != strings.ToLower(c.Package) {
		return
	}
	for _, n := range names {
		if n != c.Package && strings.EqualFold(n, c.Package) {
			c.Package = n
			w.goCase = append(w.goCase, n)
			return
		}
	}
}

func (w *warnings) add(ptr, format string, args ...any) {
	w.list = append(w.list, Problem{File: w.d.name, Pointer: ptr, Msg: fmt.Sprintf(format, args...)})
}

// purl canonicalizes a VEX product purl; an invalid one is dropped with a
// warning (the product keeps its id, so the statement is still reported).
func (w *warnings) purl(s, at string) string {
	c, _, err := canonPurl(s)
	if err != nil {
		w.add(at, "%v; the product cannot be matched by purl", err)
		return ""
	}
	return c
}

// Justifications are the OpenVEX status justifications, the vocabulary every
// format is mapped to.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

func isJustification(s string) bool { return slices.Contains(Justifications, s) }

// Statuses are the VEX statuses of the model, in the OpenVEX vocabulary.
var Statuses = []string{model.VEXAffected, model.VEXNotAffected, model.VEXFixed, model.VEXUnderInvestigation}

// named is how a warning names a component: its ref (bom-ref or SPDXID)
// when it has one, and its name and version.
func named(ref, name, version string) string {
	nv := name
	if version != "" {
		nv += "@" + version
	}
	switch {
	case ref == "":
		return nv
	case nv == "":
		return ref
	}
	return ref + " (" + nv + ")"
}
