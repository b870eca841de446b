package inputs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/model"
)

// OpenVEX 0.0.1 and 0.2.0 differ in shape: 0.0.1 writes the vulnerability
// and products as plain strings and subcomponents per statement; 0.2.0 writes
// objects and subcomponents per product. Both are read here.

type ovDoc struct {
	ID         string        `json:"@id"`
	Author     string        `json:"author"`
	Timestamp  string        `json:"timestamp"`
	Statements []ovStatement `json:"statements"`
}

type ovStatement struct {
	ID              string            `json:"@id"`
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"`
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	ActionStatement string            `json:"action_statement"`
	Timestamp       string            `json:"timestamp"`
	LastUpdated     string            `json:"last_updated"`
}

type ovVuln struct {
	Name    string   `json:"name"`
	ID      string   `json:"@id"`
	Aliases []string `json:"aliases"`
}

type ovProduct struct {
	ID          string `json:"@id"`
	Identifiers struct {
		Purl  string `json:"purl"`
		CPE22 string `json:"cpe22"`
		CPE23 string `json:"cpe23"`
	} `json:"identifiers"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

func readOpenVEX(d *doc, in *Input) error {
	var od ovDoc
	if err := decodeJSON(d, &od); err != nil {
		return err
	}
	w := &warnings{d: d}
	docID := od.ID
	if docID == "" {
		docID = canonicalDocID(d)
	}
	var out []model.VEXStatement
	for i, st := range od.Statements {
		at := ptr("statements", i)
		s := model.VEXStatement{Format: string(OpenVEX), Document: docID, Issuer: od.Author, Status: st.Status,
			ImpactStatement: st.ImpactStatement, ActionStatement: st.ActionStatement}
		if !slices.Contains(Statuses, st.Status) {
			return invalid("", d.atPointer(at+"/status", "unknown status %q (want %s)", st.Status, joinOr(Statuses)))
		}
		if st.Justification != "" {
			s.OriginalJustification = st.Justification
			if isJustification(st.Justification) {
				s.Justification = st.Justification
			} else {
				w.add(at+"/justification", "unknown justification %q; kept only as the original justification", st.Justification)
			}
		}
		ts := od.Timestamp
		if st.LastUpdated != "" {
			ts = st.LastUpdated
		} else if st.Timestamp != "" {
			ts = st.Timestamp
		}
		var err error
		if s.Timestamp, err = normTime(ts); err != nil {
			return invalid("", d.atPointer(at, "%v", err))
		}
		if s.Vulnerability, s.Aliases, err = ovVulnerability(d, st.Vulnerability, at+"/vulnerability"); err != nil {
			return err
		}
		subs, err := ovProducts(d, w, st.Subcomponents, at+"/subcomponents", nil)
		if err != nil {
			return err
		}
		var nested [][]model.Product
		prods, err := ovProducts(d, w, st.Products, at+"/products", &nested)
		if err != nil {
			return err
		}
		split := false
		for _, n := range nested {
			split = split || len(n) > 0
		}
		if !split {
			s.Products, s.Subcomponents = prods, subs
			s.ID = st.ID
			out = append(out, s)
			continue
		}
		// Subcomponents belong to their product in 0.2.0: one statement each.
		for j, p := range prods {
			ps := s
			ps.Products = []model.Product{p}
			ps.Subcomponents = append(append([]model.Product(nil), subs...), nested[j]...)
			if st.ID != "" {
				ps.ID = fmt.Sprintf("%s#%d", st.ID, j)
			}
			out = append(out, ps)
		}
	}
	in.VEX = finishVEX(out)
	in.SpecVersion = ovVersion(d)
	in.Warnings = append(in.Warnings, w.list...)
	return nil
}

// ovVersion reads the spec version from @context ("…/ns/v0.2.0"); a bare
// "https://openvex.dev/ns" is 0.0.1.
func ovVersion(d *doc) string {
	var c struct {
		Context string `json:"@context"`
	}
	_ = json.Unmarshal(d.data, &c)
	switch {
	case c.Context == "":
		return ""
	case strings.HasSuffix(c.Context, "v0.2.0"):
		return "0.2.0"
	}
	return "0.0.1"
}

func ovVulnerability(d *doc, raw json.RawMessage, at string) (string, []string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil && s != "" {
			return s, nil, nil
		}
	}
	var v ovVuln
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &v) == nil {
		name := v.Name
		if name == "" {
			name = v.ID
		}
		if name != "" {
			return name, v.Aliases, nil
		}
	}
	return "", nil, invalid("", d.atPointer(at, "statement needs a vulnerability: a name string or an object with a name"))
}

// ovProducts reads product (or subcomponent) entries, which are strings in
// 0.0.1 and objects in 0.2.0. nested, when not nil, receives each product's
// own subcomponents.
func ovProducts(d *doc, w *warnings, raws []json.RawMessage, at string, nested *[][]model.Product) ([]model.Product, error) {
	var out []model.Product
	for i, raw := range raws {
		pat := fmt.Sprintf("%s/%d", at, i)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || s == "" {
				return nil, invalid("", d.atPointer(pat, "empty product id"))
			}
			out = append(out, vexProduct(s, w, pat))
			if nested != nil {
				*nested = append(*nested, nil)
			}
			continue
		}
		var p ovProduct
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &p) != nil {
			return nil, invalid("", d.atPointer(pat, "a product is an id string or an object with an @id"))
		}
		id := p.ID
		mp := model.Product{ID: id}
		switch {
		case p.Identifiers.Purl != "":
			mp.Purl = w.purl(p.Identifiers.Purl, pat+"/identifiers/purl")
		default:
			mp = vexProduct(id, w, pat+"/@id")
		}
		if p.Identifiers.CPE23 != "" {
			mp.CPE = p.Identifiers.CPE23
		} else if p.Identifiers.CPE22 != "" {
			mp.CPE = p.Identifiers.CPE22
		}
		if mp.ID == "" && mp.Purl == "" && mp.CPE == "" {
			return nil, invalid("", d.atPointer(pat, "product without an @id or identifiers"))
		}
		out = append(out, mp)
		if nested != nil {
			subs, err := ovProducts(d, w, p.Subcomponents, pat+"/subcomponents", nil)
			if err != nil {
				return nil, err
			}
			*nested = append(*nested, subs)
		}
	}
	return out, nil
}
