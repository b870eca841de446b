package match

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/version"
)

// Reasons a VEX statement attached to no pair.
const (
	UnknownProduct       = "unknown_product"       // no component with a finding for the vulnerability is the product
	QualifierMismatch    = "qualifier_mismatch"    // the product purl's qualifiers (or subpath) differ from the component's
	VersionMismatch      = "version_mismatch"      // the product names another version of the component
	UnknownVulnerability = "unknown_vulnerability" // no finding has the vulnerability or one of its aliases
)

// attachVEX attaches every statement to the pairs it applies to and returns
// the statements that applied to none. A statement applies to a pair when
//
//   - its vulnerability or one of its aliases is the pair's advisory id or
//     one of the pair's aliases (compared case-insensitively), and
//   - one of its products identifies the pair's component: a purl by
//     purl.Match (a missing version or qualifier matches all; given ones
//     must be equal), a CycloneDX bom-ref or BOM-Link fragment equal to the
//     component's ref; a product's Version or vers Range must then contain
//     the component version; CPE-only and unresolved CSAF product ids
//     identify nothing (the CSAF reader resolves ids through the product
//     tree to purls);
//   - with subcomponents (OpenVEX), a subcomponent must identify the
//     component and a product must identify the SBOM's subject (its root) or
//     the component itself; an SBOM without a root accepts any product.
//
// Each pair's statements are ordered by timestamp, then issuer, then id.
func attachVEX(in *model.Inputs, pairs []Pair) []Unmatched {
	if len(in.VEX) == 0 {
		return nil
	}
	byVuln := map[string][]int{}
	for i := range pairs {
		p := &pairs[i]
		for _, id := range append([]string{p.Advisory.ID}, p.Aliases...) {
			k := strings.ToUpper(id)
			if l := byVuln[k]; len(l) == 0 || l[len(l)-1] != i {
				byVuln[k] = append(byVuln[k], i)
			}
		}
	}
	roots := map[string]*model.Component{}
	for i := range in.SBOMs {
		roots[in.SBOMs[i].Digest] = in.SBOMs[i].Root
	}
	comps := &purlCache{m: map[string]parsed{}}

	var unmatched []Unmatched
	for s := range in.VEX {
		st := &in.VEX[s]
		var cand []int
		for _, id := range append([]string{st.Vulnerability}, st.Aliases...) {
			cand = append(cand, byVuln[strings.ToUpper(id)]...)
		}
		slices.Sort(cand)
		cand = slices.Compact(cand)
		if len(cand) == 0 {
			unmatched = append(unmatched, Unmatched{Statement: st, Reason: UnknownVulnerability,
				Detail: fmt.Sprintf("no finding has %s%s", st.Vulnerability, aliasNote(st.Aliases))})
			continue
		}
		attached := false
		best := miss{reason: purl.OtherPackage}
		for _, i := range cand {
			p := &pairs[i]
			m := applies(st, roots[p.Component.SBOM], p.Component, comps)
			if m.reason == purl.Matched {
				p.VEX = append(p.VEX, st)
				attached = true
				continue
			}
			if m.reason < best.reason || best.detail == "" {
				best = m
			}
		}
		if !attached {
			unmatched = append(unmatched, Unmatched{Statement: st, Reason: best.reason.String(), Detail: best.detail})
		}
	}
	for i := range pairs {
		slices.SortFunc(pairs[i].VEX, func(a, b *model.VEXStatement) int {
			return cmp.Or(strings.Compare(a.Timestamp, b.Timestamp), strings.Compare(a.Issuer, b.Issuer), strings.Compare(a.ID, b.ID))
		})
	}
	slices.SortFunc(unmatched, func(a, b Unmatched) int { return strings.Compare(a.Statement.ID, b.Statement.ID) })
	return unmatched
}

func aliasNote(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return " or its aliases " + strings.Join(aliases, ", ")
}

// miss is how close a statement came to a component.
type miss struct {
	reason purl.Mismatch
	detail string
}

// applies decides whether statement st identifies component c of an SBOM
// whose subject is root (nil when unknown).
func applies(st *model.VEXStatement, root, c *model.Component, cache *purlCache) miss {
	if len(st.Subcomponents) == 0 {
		return bestOf(st.Products, c, cache)
	}
	inProduct := root == nil
	for i := range st.Products {
		pr := &st.Products[i]
		if identifies(pr, c, cache).reason == purl.Matched || identifies(pr, root, cache).reason == purl.Matched {
			inProduct = true
			break
		}
	}
	m := bestOf(st.Subcomponents, c, cache)
	if m.reason == purl.Matched && !inProduct {
		return miss{purl.OtherPackage, fmt.Sprintf("subcomponent %s is in the SBOM, but no product of the statement is the SBOM's subject %s", describe(&st.Subcomponents[0]), describeComponent(root))}
	}
	return m
}

// bestOf returns the closest match of any of the products to c.
func bestOf(products []model.Product, c *model.Component, cache *purlCache) miss {
	best := miss{reason: purl.OtherPackage}
	for i := range products {
		m := identifies(&products[i], c, cache)
		if m.reason == purl.Matched {
			return m
		}
		if m.reason < best.reason || best.detail == "" {
			best = m
		}
	}
	if best.detail == "" {
		best.detail = fmt.Sprintf("no product of the statement identifies %s", describeComponent(c))
	}
	return best
}

// identifies matches one product against one component.
func identifies(pr *model.Product, c *model.Component, cache *purlCache) miss {
	if c == nil {
		return miss{reason: purl.OtherPackage}
	}
	var m purl.Mismatch
	switch {
	case pr.Purl != "":
		pp, err := cache.get(pr.Purl)
		if err != nil {
			return miss{purl.OtherPackage, fmt.Sprintf("product %s: %v", pr.Purl, err)}
		}
		cp, err := cache.get(c.Purl)
		if c.Purl == "" || err != nil {
			m = purl.OtherPackage
		} else {
			m = purl.Match(pp, cp)
		}
	case pr.BOMRef != "":
		m = purl.OtherPackage
		if refOf(pr.BOMRef) == c.Ref {
			m = purl.Matched
		}
	default:
		return miss{purl.OtherPackage, fmt.Sprintf("product %s has no purl or bom-ref to match components by", describe(pr))}
	}
	if m == purl.Matched {
		if ok, why := narrows(pr, c); !ok {
			return miss{purl.VersionMismatch, why}
		}
		return miss{reason: purl.Matched}
	}
	return miss{m, fmt.Sprintf("product %s vs component %s", describe(pr), describeComponent(c))}
}

// narrows checks a product's version or vers range against the component.
func narrows(pr *model.Product, c *model.Component) (bool, string) {
	switch {
	case pr.Version != "":
		if pr.Version == c.Version {
			return true, ""
		}
		if c.Ecosystem != "" {
			if n, err := version.Compare(c.Ecosystem, pr.Version, c.Version); err == nil && n == 0 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("product %s names version %s, component %s has %s", describe(pr), pr.Version, describeComponent(c), c.Version)
	case pr.Range != "":
		in, err := version.InVers(pr.Range, c.Version)
		if err != nil {
			return false, fmt.Sprintf("product %s: %v", describe(pr), err)
		}
		if !in {
			return false, fmt.Sprintf("product %s: version %s of %s is not in %s", describe(pr), c.Version, describeComponent(c), pr.Range)
		}
	}
	return true, ""
}

// refOf returns the bom-ref a CycloneDX reference names: the ref itself, or
// the decoded fragment of a BOM-Link ("urn:cdx:serial/1#ref").
func refOf(ref string) string {
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if u, err := url.PathUnescape(frag); err == nil {
				return u
			}
			return frag
		}
	}
	return ref
}

func describe(pr *model.Product) string {
	for _, s := range []string{pr.Purl, pr.BOMRef, pr.ID, pr.CPE, pr.Name} {
		if s != "" {
			return s
		}
	}
	return "(empty product)"
}

func describeComponent(c *model.Component) string {
	if c == nil {
		return "(none)"
	}
	if c.Purl != "" {
		return c.Purl
	}
	return c.Ref
}

// parsed is a cached purl parse.
type parsed struct {
	p   purl.PURL
	err error
}

// purlCache parses each distinct purl once per join.
type purlCache struct{ m map[string]parsed }

func (c *purlCache) get(s string) (purl.PURL, error) {
	if v, ok := c.m[s]; ok {
		return v.p, v.err
	}
	p, err := purl.Parse(s)
	c.m[s] = parsed{p, err}
	return p, err
}
