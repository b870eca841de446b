package inputs

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
)

var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// readEPSS reads a FIRST EPSS score file: an optional
// "#model_version:…,score_date:…" line, a "cve,epss[,percentile]" header
// and one row per CVE. The caller has already decompressed a gzip file.
func readEPSS(d *doc, in *Input) error {
	e := &model.EPSS{Scores: []model.EPSSScore{}}
	w := &warnings{d: d}
	lines := bytes.Split(d.data, []byte{'\n'})
	line := d.skipLines
	cols := map[string]int{}
	seen := map[string]int{}
	bad := func(col int, format string, args ...any) error {
		return invalid("", Problem{File: d.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
	for _, raw := range lines {
		line++
		text := strings.TrimSpace(string(raw))
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "#"):
			for _, kv := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch strings.TrimSpace(k) {
				case "model_version":
					e.ModelVersion = strings.TrimSpace(v)
				case "score_date":
					t, err := normTime(strings.TrimSpace(v))
					if err != nil {
						return bad(1, "score_date: %v", err)
					}
					e.ScoreDate = t
				}
			}
			continue
		}
		fields := strings.Split(text, ",")
		if len(cols) == 0 {
			for i, f := range fields {
				cols[strings.ToLower(strings.TrimSpace(f))] = i
			}
			_, hasCVE := cols["cve"]
			_, hasEPSS := cols["epss"]
			if !hasCVE || !hasEPSS {
				return bad(1, "expected the header line \"cve,epss,percentile\", found %q", text)
			}
			continue
		}
		if len(fields) != len(cols) {
			return bad(1, "expected %d fields, found %d", len(cols), len(fields))
		}
		cve := strings.TrimSpace(fields[cols["cve"]])
		if !cvePattern.MatchString(cve) {
			return bad(1, "invalid CVE id %q", cve)
		}
		if prev, dup := seen[cve]; dup {
			return bad(1, "duplicate row for %s (first on line %d)", cve, prev)
		}
		seen[cve] = line
		s := model.EPSSScore{CVE: cve}
		var err error
		if s.Score, err = probability(fields[cols["epss"]]); err != nil {
			return bad(colOf(fields, cols["epss"]), "epss: %v", err)
		}
		if i, ok := cols["percentile"]; ok {
			if s.Percentile, err = probability(fields[i]); err != nil {
				return bad(colOf(fields, i), "percentile: %v", err)
			}
		}
		e.Scores = append(e.Scores, s)
	}
	if len(cols) == 0 {
		return invalid("", Problem{File: d.name, Msg: "no \"cve,epss,percentile\" header line"})
	}
	if e.ModelVersion == "" || e.ScoreDate == "" {
		w.add("", "no \"#model_version:…,score_date:…\" line; the model version and score date are unknown")
	}
	slices.SortFunc(e.Scores, func(a, b model.EPSSScore) int { return strings.Compare(a.CVE, b.CVE) })
	in.EPSS = e
	in.SpecVersion = e.ModelVersion
	in.Warnings = append(in.Warnings, w.list...)
	return nil
}

// colOf is the 1-based column where CSV field i starts.
func colOf(fields []string, i int) int {
	col := 1
	for _, f := range fields[:i] {
		col += len(f) + 1
	}
	return col
}

// probability parses a decimal in [0, 1].
func probability(s string) (decimal.D, error) {
	v, err := decimal.Parse(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if v < 0 || v > decimal.One {
		return 0, fmt.Errorf("%s is not between 0 and 1", s)
	}
	return v, nil
}

// kevEntry is one raw KEV entry and where it is, for messages.
type kevEntry struct {
	CVE                string `json:"cveID"`
	VendorProject      string `json:"vendorProject"`
	Product            string `json:"product"`
	DateAdded          string `json:"dateAdded"`
	DueDate            string `json:"dueDate"`
	KnownRansomwareUse string `json:"knownRansomwareCampaignUse"`
}

// readKEV reads the CISA Known Exploited Vulnerabilities catalog (JSON).
func readKEV(d *doc, in *Input) error {
	var kd struct {
		CatalogVersion  string     `json:"catalogVersion"`
		DateReleased    string     `json:"dateReleased"`
		Count           *int       `json:"count"`
		Vulnerabilities []kevEntry `json:"vulnerabilities"`
	}
	if err := decodeJSON(d, &kd); err != nil {
		return err
	}
	if kd.CatalogVersion == "" {
		return invalid("", d.atPointer("", "KEV catalog without a catalogVersion"))
	}
	w := &warnings{d: d}
	released, err := normTime(kd.DateReleased)
	if err != nil {
		return invalid("", d.atPointer("/dateReleased", "%v", err))
	}
	k := &model.KEV{CatalogVersion: kd.CatalogVersion, DateReleased: released}
	if k.Entries, err = kevEntries(kd.Vulnerabilities, func(i int, field, msg string) Problem {
		return d.atPointer(ptr("vulnerabilities", i, field), "%s", msg)
	}); err != nil {
		return err
	}
	if kd.Count != nil && *kd.Count != len(k.Entries) {
		w.add("/count", "count says %d entries, the catalog has %d", *kd.Count, len(k.Entries))
	}
	in.KEV = k
	in.SpecVersion = k.CatalogVersion
	in.Warnings = append(in.Warnings, w.list...)
	return nil
}

// readKEVCSV reads the CSV form of the KEV catalog, which has the entries
// but no catalog version or release date.
func readKEVCSV(d *doc, in *Input) error {
	r := csv.NewReader(bytes.NewReader(d.data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return invalid("", Problem{File: d.name, Line: d.skipLines + 1, Col: 1, Msg: "KEV CSV: " + err.Error()})
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.TrimSpace(h)] = i
	}
	if _, ok := cols["cveID"]; !ok {
		return invalid("", Problem{File: d.name, Line: d.skipLines + 1, Col: 1, Msg: "KEV CSV without a cveID column"})
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var raw []kevEntry
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := 0, 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line, col = pe.Line, pe.Column
			}
			return invalid("", Problem{File: d.name, Line: d.skipLines + line, Col: col, Msg: "KEV CSV: " + err.Error()})
		}
		line, _ := r.FieldPos(0)
		lines = append(lines, d.skipLines+line)
		raw = append(raw, kevEntry{CVE: get(rec, "cveID"), VendorProject: get(rec, "vendorProject"), Product: get(rec, "product"),
			DateAdded: get(rec, "dateAdded"), DueDate: get(rec, "dueDate"), KnownRansomwareUse: get(rec, "knownRansomwareCampaignUse")})
	}
	k := &model.KEV{}
	if k.Entries, err = kevEntries(raw, func(i int, field, msg string) Problem {
		return Problem{File: d.name, Line: lines[i], Col: 1, Msg: field + ": " + msg}
	}); err != nil {
		return err
	}
	in.KEV = k
	in.MediaType = mediaCSV
	in.Warnings = append(in.Warnings, Problem{File: d.name, Msg: "the CSV form of the KEV catalog has no catalog version or release date; prefer the JSON form"})
	return nil
}

// kevEntries checks and normalizes KEV entries, sorted by CVE; at locates a
// problem with field of entry i.
func kevEntries(raw []kevEntry, at func(i int, field, msg string) Problem) ([]model.KEVEntry, error) {
	out := make([]model.KEVEntry, 0, len(raw))
	seen := map[string]bool{}
	for i, v := range raw {
		if !cvePattern.MatchString(v.CVE) {
			return nil, invalid("", at(i, "cveID", fmt.Sprintf("invalid CVE id %q", v.CVE)))
		}
		if seen[v.CVE] {
			return nil, invalid("", at(i, "cveID", "duplicate entry for "+v.CVE))
		}
		seen[v.CVE] = true
		e := model.KEVEntry{CVE: v.CVE, VendorProject: v.VendorProject, Product: v.Product, KnownRansomwareUse: v.KnownRansomwareUse}
		var err error
		if e.DateAdded, err = normDate(v.DateAdded); err != nil {
			return nil, invalid("", at(i, "dateAdded", err.Error()))
		}
		if v.DueDate != "" {
			if e.DueDate, err = normDate(v.DueDate); err != nil {
				return nil, invalid("", at(i, "dueDate", err.Error()))
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b model.KEVEntry) int { return strings.Compare(a.CVE, b.CVE) })
	return out, nil
}

type reachDoc struct {
	Schema string `json:"schema"`
	Facts  []struct {
		Purl          string          `json:"purl"`
		Vulnerability string          `json:"vulnerability"`
		State         string          `json:"state"`
		Score         json.RawMessage `json:"score"`
		Evidence      []string        `json:"evidence"`
	} `json:"facts"`
}

// ReachStates are the reachability lattice states, bottom (U) to top (X).
var ReachStates = []string{
	model.ReachUnknown, model.ReachStaticallyReachable, model.ReachStaticallyUnreachable,
	model.ReachRuntimeObserved, model.ReachRuntimeUnobserved, model.ReachConfirmedReachable,
	model.ReachConfirmedUnreachable, model.ReachContested,
}

// readReach reads stella's reachability format (docs/inputs.md).
func readReach(d *doc, in *Input) error {
	dec := json.NewDecoder(bytes.NewReader(d.data))
	dec.DisallowUnknownFields()
	var rd reachDoc
	if err := dec.Decode(&rd); err != nil {
		return invalid("", unknownFieldProblem(d, err))
	}
	if rd.Schema != ReachSchema {
		return invalid("", d.atPointer("/schema", "schema is %q, want %q", rd.Schema, ReachSchema))
	}
	out := make([]model.Reach, 0, len(rd.Facts))
	seen := map[[2]string]int{}
	for i, f := range rd.Facts {
		at := ptr("facts", i)
		if f.Purl == "" {
			return invalid("", d.atPointer(at, "fact without a purl"))
		}
		c, _, err := canonPurl(f.Purl)
		if err != nil {
			return invalid("", d.atPointer(at+"/purl", "%v", err))
		}
		if !slices.Contains(ReachStates, f.State) {
			return invalid("", d.atPointer(at+"/state", "unknown state %q (want %s)", f.State, joinOr(ReachStates)))
		}
		if len(f.Score) == 0 {
			return invalid("", d.atPointer(at, "fact without a score (a number between 0 and 1)"))
		}
		score, err := probability(string(f.Score))
		if err != nil || f.Score[0] == '"' {
			return invalid("", d.atPointer(at+"/score", "score must be a number between 0 and 1"))
		}
		key := [2]string{c, f.Vulnerability}
		if j, dup := seen[key]; dup {
			return invalid("", d.atPointer(at, "duplicate fact for %s %s (first at /facts/%d)", c, f.Vulnerability, j))
		}
		seen[key] = i
		out = append(out, model.Reach{Purl: c, Vulnerability: f.Vulnerability, State: f.State, Score: score, Evidence: sortedSet(f.Evidence)})
	}
	slices.SortFunc(out, func(a, b model.Reach) int {
		return cmp.Or(strings.Compare(a.Purl, b.Purl), strings.Compare(a.Vulnerability, b.Vulnerability))
	})
	in.Reach = out
	in.SpecVersion = rd.Schema
	return nil
}

// unknownFieldProblem positions a strict decoder's error, including
// "unknown field" errors, which encoding/json reports without an offset.
func unknownFieldProblem(d *doc, err error) Problem {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		var field string
		_ = json.Unmarshal([]byte(name), &field)
		p := Problem{File: d.name, Msg: "unknown field " + name}
		walkJSON(d.data, func(path []string, start int) bool {
			if len(path) > 0 && path[len(path)-1] == field {
				p.Pointer = formatPointer(path)
				p.Line, p.Col = d.pos(start)
				return false
			}
			return true
		})
		return p
	}
	return d.jsonProblem(err)
}
