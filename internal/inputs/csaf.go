package inputs

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/model"
)

// CSAF 2.0 is read with a minimal hand-written model (docs/inputs.md "VEX"):
// the product tree is flattened to product_id → product (name, purl, CPE,
// version or version range), product groups are expanded, and each
// vulnerability's product_status sets become statements whose
// justification comes from flags, impact from threats and action from
// remediations. Documents of any category (csaf_vex, security advisories)
// are read the same way.

type csafDoc struct {
	Document struct {
		Category    string `json:"category"`
		CSAFVersion string `json:"csaf_version"`
		Publisher   struct {
			Name string `json:"name"`
		} `json:"publisher"`
		Tracking struct {
			ID                 string `json:"id"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []csafBranch  `json:"branches"`
		FullProductNames []csafProduct `json:"full_product_names"`
		Relationships    []struct {
			ProductReference string      `json:"product_reference"`
			RelatesTo        string      `json:"relates_to_product_reference"`
			FullProductName  csafProduct `json:"full_product_name"`
		} `json:"relationships"`
		ProductGroups []struct {
			GroupID    string   `json:"group_id"`
			ProductIDs []string `json:"product_ids"`
		} `json:"product_groups"`
	} `json:"product_tree"`
	Vulnerabilities []csafVuln `json:"vulnerabilities"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		Purl string `json:"purl"`
		CPE  string `json:"cpe"`
	} `json:"product_identification_helper"`
}

type csafScoped struct {
	Category   string   `json:"category"`
	Label      string   `json:"label"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

type csafVuln struct {
	CVE string `json:"cve"`
	IDs []struct {
		SystemName string `json:"system_name"`
		Text       string `json:"text"`
	} `json:"ids"`
	ProductStatus struct {
		FirstAffected      []string `json:"first_affected"`
		FirstFixed         []string `json:"first_fixed"`
		Fixed              []string `json:"fixed"`
		KnownAffected      []string `json:"known_affected"`
		KnownNotAffected   []string `json:"known_not_affected"`
		LastAffected       []string `json:"last_affected"`
		UnderInvestigation []string `json:"under_investigation"`
	} `json:"product_status"`
	Flags        []csafScoped `json:"flags"`
	Threats      []csafScoped `json:"threats"`
	Remediations []csafScoped `json:"remediations"`
}

// vulnIDPattern accepts ids[].text values that name a vulnerability
// (GHSA-…, RHSA-…), not bug numbers or URLs.
var vulnIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9:._-]*$`)

func readCSAF(d *doc, in *Input) error {
	var cd csafDoc
	if err := decodeJSON(d, &cd); err != nil {
		return err
	}
	if cd.Document.CSAFVersion != "2.0" {
		return invalid("", d.atPointer("/document/csaf_version", "unsupported csaf_version %q (want 2.0)", cd.Document.CSAFVersion))
	}
	in.SpecVersion = cd.Document.CSAFVersion
	w := &warnings{d: d}
	prods := csafProducts(&cd)
	groups := map[string][]string{}
	for _, g := range cd.ProductTree.ProductGroups {
		groups[g.GroupID] = g.ProductIDs
	}
	docID := cd.Document.Tracking.ID
	if docID == "" {
		docID = canonicalDocID(d)
	}
	ts, err := normTime(cd.Document.Tracking.CurrentReleaseDate)
	if err != nil {
		return invalid("", d.atPointer("/document/tracking/current_release_date", "%v", err))
	}
	var out []model.VEXStatement
	for i, v := range cd.Vulnerabilities {
		at := ptr("vulnerabilities", i)
		id := v.CVE
		var aliases []string
		for _, x := range v.IDs {
			if vulnIDPattern.MatchString(x.Text) {
				aliases = append(aliases, x.Text)
			}
		}
		if id == "" && len(aliases) > 0 {
			id, aliases = aliases[0], aliases[1:]
		}
		if id == "" {
			w.add(at, "vulnerability without a cve or id; its statuses were ignored")
			continue
		}
		ps := v.ProductStatus
		for _, set := range []struct {
			status string
			name   string
			ids    []string
		}{
			{model.VEXAffected, "known_affected", ps.KnownAffected},
			{model.VEXAffected, "first_affected", ps.FirstAffected},
			{model.VEXAffected, "last_affected", ps.LastAffected},
			{model.VEXNotAffected, "known_not_affected", ps.KnownNotAffected},
			{model.VEXFixed, "fixed", ps.Fixed},
			{model.VEXFixed, "first_fixed", ps.FirstFixed},
			{model.VEXUnderInvestigation, "under_investigation", ps.UnderInvestigation},
		} {
			// Products sharing justification, impact and action share a statement.
			type key struct{ just, impact, action string }
			var order []key
			byKey := map[key][]model.Product{}
			for _, pid := range set.ids {
				k := key{}
				if set.status == model.VEXNotAffected {
					k.just = scopedText(v.Flags, pid, groups, true)
					k.impact = scopedText(csafOf(v.Threats, "impact"), pid, groups, false)
				} else {
					k.action = scopedText(v.Remediations, pid, groups, false)
				}
				p, ok := prods[pid]
				if !ok {
					w.add(at+"/product_status/"+set.name, "product_id %q is not in the product tree", pid)
					p = model.Product{ID: pid}
				}
				if _, seen := byKey[k]; !seen {
					order = append(order, k)
				}
				byKey[k] = append(byKey[k], p)
			}
			for _, k := range order {
				s := model.VEXStatement{Format: string(CSAF), Document: docID, Issuer: cd.Document.Publisher.Name, Timestamp: ts,
					Vulnerability: id, Aliases: aliases, Products: byKey[k], Status: set.status,
					ImpactStatement: k.impact, ActionStatement: k.action}
				if k.just != "" {
					s.OriginalJustification = k.just
					if isJustification(k.just) {
						s.Justification = k.just
					} else {
						w.add(at+"/flags", "unknown flag label %q; kept only as the original justification", k.just)
					}
				}
				out = append(out, s)
			}
		}
	}
	in.VEX = finishVEX(out)
	in.Warnings = append(in.Warnings, w.list...)
	return nil
}

// csafProducts flattens the product tree: every product_id with its name,
// purl, CPE and the version (product_version branch) or version range
// (product_version_range branch) it stands for. A relationship's product is
// the component it combines, installed on a platform.
func csafProducts(cd *csafDoc) map[string]model.Product {
	out := map[string]model.Product{}
	add := func(p *csafProduct, version, rng string) {
		if p == nil || p.ProductID == "" {
			return
		}
		mp := model.Product{ID: p.ProductID, Name: p.Name, Version: version, Range: rng}
		if h := p.Helper; h != nil {
			if c, _, err := canonPurl(h.Purl); err == nil {
				mp.Purl = c
			}
			mp.CPE = h.CPE
		}
		out[p.ProductID] = mp
	}
	var walk func(bs []csafBranch, version, rng string)
	walk = func(bs []csafBranch, version, rng string) {
		for _, b := range bs {
			v, r := version, rng
			switch b.Category {
			case "product_version", "service_pack", "patch_level": // the latter two refine a version
				v, r = b.Name, ""
			case "product_version_range":
				v, r = "", b.Name
			}
			add(b.Product, v, r)
			walk(b.Branches, v, r)
		}
	}
	walk(cd.ProductTree.Branches, "", "")
	for i := range cd.ProductTree.FullProductNames {
		add(&cd.ProductTree.FullProductNames[i], "", "")
	}
	for _, rel := range cd.ProductTree.Relationships {
		fp := rel.FullProductName
		if fp.ProductID == "" {
			continue
		}
		comp := out[rel.ProductReference]
		mp := model.Product{ID: fp.ProductID, Name: fp.Name, Purl: comp.Purl, CPE: comp.CPE, Version: comp.Version, Range: comp.Range}
		if h := fp.Helper; h != nil {
			if c, _, err := canonPurl(h.Purl); err == nil {
				mp.Purl = c
			}
			if h.CPE != "" {
				mp.CPE = h.CPE
			}
		}
		out[fp.ProductID] = mp
	}
	return out
}

func csafOf(items []csafScoped, category string) []csafScoped {
	var out []csafScoped
	for _, it := range items {
		if it.Category == category {
			out = append(out, it)
		}
	}
	return out
}

// scopedText joins the texts of the items that apply to product pid
// (directly, through a group, or by naming no products at all): flag labels
// when label is set, else "details" (prefixed by the remediation category).
func scopedText(items []csafScoped, pid string, groups map[string][]string, label bool) string {
	var parts []string
	for _, it := range items {
		applies := len(it.ProductIDs) == 0 && len(it.GroupIDs) == 0 || slices.Contains(it.ProductIDs, pid)
		for _, g := range it.GroupIDs {
			applies = applies || slices.Contains(groups[g], pid)
		}
		if !applies {
			continue
		}
		switch {
		case label:
			parts = append(parts, it.Label)
		case it.Category != "" && it.Category != "impact":
			parts = append(parts, fmt.Sprintf("%s: %s", it.Category, it.Details))
		default:
			parts = append(parts, it.Details)
		}
	}
	if label && len(parts) > 0 {
		return parts[0]
	}
	return strings.Join(parts, " ")
}
