// Package purl owns package-URL identity in stella: parsing a purl into its
// canonical parts (Parse, String), mapping a purl to the OSV (ecosystem,
// package name) pair that advisories use (OSV), the per-ecosystem package
// name normalization that the advisory index keys on (NormalizeName), and the
// VEX product-matching rule (Match).
//
// Parsing follows the purl specification through
// github.com/package-url/packageurl-go, with one deliberate difference: Go
// module paths keep their case. The module system is case-sensitive (the
// proxy escapes capitals as "!x") and OSV names Go packages by their exact
// module path ("github.com/BurntSushi/toml"), so lower-casing them, as the
// library does, would lose identity and break advisory matching.
//
// The mapping table is documented in docs/inputs.md ("purl → OSV ecosystem").
package purl

import (
	"fmt"
	"net/url"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// PURL is a parsed, normalized package URL. Qualifiers are sorted by key,
// have lower-case keys and no empty values.
type PURL struct {
	Type       string
	Namespace  string
	Name       string
	Version    string
	Qualifiers []Qualifier
	Subpath    string
}

// Qualifier is one key=value qualifier of a purl.
type Qualifier struct {
	Key   string
	Value string
}

// Parse parses and normalizes a purl string. The error says what is wrong
// but not where the purl came from; callers add the file and place.
func Parse(s string) (PURL, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return PURL{}, fmt.Errorf("invalid purl %q: %v", s, err)
	}
	out := PURL{
		Type:      p.Type,
		Namespace: p.Namespace,
		Name:      p.Name,
		Version:   p.Version,
		Subpath:   p.Subpath,
	}
	if len(p.Qualifiers) > 0 {
		out.Qualifiers = make([]Qualifier, len(p.Qualifiers))
		for i, q := range p.Qualifiers {
			out.Qualifiers[i] = Qualifier{Key: q.Key, Value: q.Value}
		}
	}
	if out.Type == packageurl.TypeGolang {
		// The library lower-cases golang paths; take them again from the
		// input, decoded the same way but with their case kept.
		ns, name, err := goPath(s)
		if err != nil {
			return PURL{}, fmt.Errorf("invalid purl %q: %v", s, err)
		}
		if strings.EqualFold(ns, out.Namespace) && strings.EqualFold(name, out.Name) {
			out.Namespace, out.Name = ns, name
		}
	}
	return out, nil
}

// goPath returns the namespace and name of a golang purl with their case
// kept, splitting the input as the purl specification's parse procedure does.
func goPath(s string) (ns, name string, err error) {
	rest := s[len("pkg:"):]
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	_, rest, _ = strings.Cut(rest, "/") // the type
	if i := strings.LastIndexByte(rest, '@'); i > 0 {
		rest = rest[:i]
	}
	var segs []string
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" {
			continue
		}
		d, err := url.PathUnescape(seg)
		if err != nil {
			return "", "", err
		}
		segs = append(segs, d)
	}
	if len(segs) == 0 {
		return "", "", fmt.Errorf("purl is missing name")
	}
	return strings.Join(segs[:len(segs)-1], "/"), segs[len(segs)-1], nil
}

// String returns the canonical form: lower-case type, percent-encoded
// segments, qualifiers sorted by key.
func (p PURL) String() string {
	q := make(packageurl.Qualifiers, len(p.Qualifiers))
	for i, x := range p.Qualifiers {
		q[i] = packageurl.Qualifier{Key: x.Key, Value: x.Value}
	}
	return packageurl.NewPackageURL(p.Type, p.Namespace, p.Name, p.Version, q, p.Subpath).ToString()
}

// Qualifier returns the value of the qualifier key, or "".
func (p PURL) Qualifier(key string) string {
	for _, q := range p.Qualifiers {
		if q.Key == key {
			return q.Value
		}
	}
	return ""
}

// Canonical parses s and returns its canonical string form.
func Canonical(s string) (string, error) {
	p, err := Parse(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// WithoutVersion returns p with no version, qualifiers or subpath: the
// package identity that advisories and VEX products are keyed on.
func (p PURL) WithoutVersion() PURL {
	return PURL{Type: p.Type, Namespace: p.Namespace, Name: p.Name}
}

// Mismatch says why a VEX product purl does not identify a component purl.
type Mismatch int

// The outcomes of Match, from best to worst; the VEX match report uses the
// names returned by String.
const (
	Matched           Mismatch = iota
	QualifierMismatch          // same package and version, a given qualifier differs
	VersionMismatch            // same package, the given version differs
	OtherPackage               // a different package
)

func (m Mismatch) String() string {
	switch m {
	case Matched:
		return "matched"
	case QualifierMismatch:
		return "qualifier_mismatch"
	case VersionMismatch:
		return "version_mismatch"
	}
	return "unknown_product"
}

// Match reports whether the VEX product purl prod identifies the component
// purl comp (docs/inputs.md "Purls in VEX products"): type, namespace and name must be equal; a version
// given in prod must equal comp's (a missing one matches every version);
// every qualifier given in prod must be present in comp with the same value
// (missing qualifiers match all); a given subpath must be equal. Go module
// paths are compared case-insensitively here, because tools that follow the
// library's lower-casing write them so in VEX documents.
func Match(prod, comp PURL) Mismatch {
	same := func(a, b string) bool { return a == b }
	if prod.Type == "golang" {
		same = strings.EqualFold
	}
	if prod.Type != comp.Type || !same(prod.Namespace, comp.Namespace) || !same(prod.Name, comp.Name) {
		return OtherPackage
	}
	if prod.Version != "" && prod.Version != comp.Version {
		return VersionMismatch
	}
	for _, q := range prod.Qualifiers {
		if comp.Qualifier(q.Key) != q.Value {
			return QualifierMismatch
		}
	}
	if prod.Subpath != "" && prod.Subpath != comp.Subpath {
		return QualifierMismatch
	}
	return Matched
}
