package match

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
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
	OtherBOM             = "other_bom"             // a BOM-Link names the component in another SBOM (serialNumber or version)
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
//   - a product given by BOM-Link ("urn:cdx:SERIAL/VERSION#bom-ref")
//     identifies only components of the SBOM with that serialNumber and
//     version, whatever its fragment or purl says (docs/inputs.md
//     "BOM-Links"); a statement that would otherwise apply is reported with
//     reason other_bom;
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
	x := &matcher{purls: map[string]parsed{}, sboms: map[string]*model.SBOM{}}
	for i := range in.SBOMs {
		x.sboms[in.SBOMs[i].Digest] = &in.SBOMs[i]
	}

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
			m := x.applies(st, x.root(p.Component), p.Component)
			if m.reason == purl.Matched {
				p.VEX = append(p.VEX, st)
				attached = true
				continue
			}
			if m.closer(best) {
				best = m
			}
		}
		if !attached {
			unmatched = append(unmatched, Unmatched{Statement: st, Reason: best.why(), Detail: best.detail})
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

// otherBOMWarnings names every statement left out because its BOM-Links
// name other SBOMs: it would have applied by fragment or purl, and a reader
// of the findings must know it was not used.
func otherBOMWarnings(us []Unmatched) []string {
	var out []string
	for _, u := range us {
		if u.Reason == OtherBOM {
			st := u.Statement
			out = append(out, fmt.Sprintf("VEX statement %s (%s document %s) about %s not applied: %s", st.ID, st.Format, st.Document, st.Vulnerability, u.Detail))
		}
	}
	return out
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
	bom    bool // it identified the component but named another SBOM by BOM-Link
}

// closer reports whether m is a better explanation than best: a BOM-Link to
// another SBOM first, then the closer purl mismatch.
func (m miss) closer(best miss) bool {
	if m.bom != best.bom {
		return m.bom
	}
	return m.reason < best.reason || best.detail == ""
}

func (m miss) why() string {
	if m.bom {
		return OtherBOM
	}
	return m.reason.String()
}

// matcher holds what attachVEX looks up: parsed purls and the SBOMs by
// digest.
type matcher struct {
	purls map[string]parsed
	sboms map[string]*model.SBOM
}

// root is the subject of c's SBOM, nil when unknown.
func (x *matcher) root(c *model.Component) *model.Component {
	if sb := x.sboms[c.SBOM]; sb != nil {
		return sb.Root
	}
	return nil
}

// applies decides whether statement st identifies component c of an SBOM
// whose subject is root (nil when unknown).
func (x *matcher) applies(st *model.VEXStatement, root, c *model.Component) miss {
	if len(st.Subcomponents) == 0 {
		return x.bestOf(st.Products, c)
	}
	inProduct := root == nil
	for i := range st.Products {
		pr := &st.Products[i]
		if x.identifies(pr, c).reason == purl.Matched || x.identifies(pr, root).reason == purl.Matched {
			inProduct = true
			break
		}
	}
	m := x.bestOf(st.Subcomponents, c)
	if m.reason == purl.Matched && !inProduct {
		return miss{reason: purl.OtherPackage, detail: fmt.Sprintf("subcomponent %s is in the SBOM, but no product of the statement is the SBOM's subject %s", describe(&st.Subcomponents[0]), describeComponent(root))}
	}
	return m
}

// bestOf returns the closest match of any of the products to c.
func (x *matcher) bestOf(products []model.Product, c *model.Component) miss {
	best := miss{reason: purl.OtherPackage}
	for i := range products {
		m := x.identifies(&products[i], c)
		if m.reason == purl.Matched {
			return m
		}
		if m.closer(best) {
			best = m
		}
	}
	if best.detail == "" {
		best.detail = fmt.Sprintf("no product of the statement identifies %s", describeComponent(c))
	}
	return best
}

// identifies matches one product against one component; a product given by
// BOM-Link identifies it only in the SBOM the link names.
func (x *matcher) identifies(pr *model.Product, c *model.Component) miss {
	m := x.identifiesAnywhere(pr, c)
	if m.reason != purl.Matched || !strings.HasPrefix(pr.BOMRef, bomLinkPrefix) {
		return m
	}
	if why := namesSBOM(pr.BOMRef, x.sboms[c.SBOM]); why != "" {
		return miss{reason: purl.OtherPackage, detail: why, bom: true}
	}
	return m
}

// identifiesAnywhere matches one product against one component, whichever
// SBOM a BOM-Link names.
func (x *matcher) identifiesAnywhere(pr *model.Product, c *model.Component) miss {
	if c == nil {
		return miss{reason: purl.OtherPackage}
	}
	var m purl.Mismatch
	switch {
	case pr.Purl != "":
		pp, err := x.get(pr.Purl)
		if err != nil {
			return miss{reason: purl.OtherPackage, detail: fmt.Sprintf("product %s: %v", pr.Purl, err)}
		}
		cp, err := x.get(c.Purl)
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
		return miss{reason: purl.OtherPackage, detail: fmt.Sprintf("product %s has no purl or bom-ref to match components by", describe(pr))}
	}
	if m == purl.Matched {
		if ok, why := narrows(pr, c); !ok {
			return miss{reason: purl.VersionMismatch, detail: why}
		}
		return miss{reason: purl.Matched}
	}
	return miss{reason: m, detail: fmt.Sprintf("product %s vs component %s", describe(pr), describeComponent(c))}
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
	if strings.HasPrefix(ref, bomLinkPrefix) {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if u, err := url.PathUnescape(frag); err == nil {
				return u
			}
			return frag
		}
	}
	return ref
}

const bomLinkPrefix = "urn:cdx:"

// namesSBOM checks that the BOM-Link link ("urn:cdx:SERIAL/VERSION#ref")
// names sb by its serialNumber and version; it returns why not, or "".
func namesSBOM(link string, sb *model.SBOM) string {
	body, _, _ := strings.Cut(strings.TrimPrefix(link, bomLinkPrefix), "#")
	serial, ver, _ := strings.Cut(body, "/")
	name := "an SBOM of this run"
	if sb != nil {
		name = "SBOM " + sb.Name
	}
	switch {
	case sb == nil || sb.Serial == "":
		return fmt.Sprintf("BOM-Link %s names BOM urn:uuid:%s, and %s has no serialNumber to be it", link, serial, name)
	case !strings.EqualFold(serial, strings.TrimPrefix(sb.Serial, "urn:uuid:")):
		return fmt.Sprintf("BOM-Link %s names BOM urn:uuid:%s, not %s (%s)", link, serial, name, sb.Serial)
	case ver == "":
		return fmt.Sprintf("BOM-Link %s names no BOM version (urn:cdx:SERIAL/VERSION#bom-ref)", link)
	case ver != strconv.Itoa(sb.Version):
		return fmt.Sprintf("BOM-Link %s names version %s of BOM %s, but %s is version %d", link, ver, sb.Serial, name, sb.Version)
	}
	return ""
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

// get parses each distinct purl once per join.
func (x *matcher) get(s string) (purl.PURL, error) {
	if v, ok := x.purls[s]; ok {
		return v.p, v.err
	}
	p, err := purl.Parse(s)
	x.purls[s] = parsed{p, err}
	return p, err
}
