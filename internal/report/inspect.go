package report

import (
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/run"
)

// CVSSTable writes one row per scored vector (`stella cvss`); an invalid
// vector's row carries its error.
func CVSSTable(w io.Writer, rows []run.Scored, box bool) error {
	t := NewTable(w, box, "VECTOR", "VERSION", "BASE", "TEMPORAL/THREAT", "ENVIRONMENTAL", "SCORE", "SEVERITY")
	num := func(d *decimal.D) string {
		if d == nil {
			return ""
		}
		return d.Fixed(1)
	}
	for _, r := range rows {
		if r.Error != "" {
			if err := t.Append(r.Vector, "", "", "", "", "", "error: "+r.Error); err != nil {
				return err
			}
			continue
		}
		tt := r.Temporal
		if tt == nil {
			tt = r.Threat
		}
		if err := t.Append(r.Normalized, r.Version, num(r.Base), num(tt), num(r.Environmental), num(r.Score), r.Severity); err != nil {
			return err
		}
	}
	return t.Render()
}

// Matches writes the output of `stella match` in format: ndjson one match
// a line, with the VEX statements that apply to nothing and the warnings
// on notes (MatchNotes); table the matches and the VEX match report
// (MatchTable), the warnings on notes; json and yaml the whole value.
func Matches(w, notes io.Writer, format string, out *run.Matches, box bool) error {
	var err error
	switch format {
	case "ndjson":
		err = Value(w, format, out.Matches)
	case "table":
		err = MatchTable(w, out, box)
	default:
		return Value(w, format, out)
	}
	if err == nil {
		MatchNotes(notes, out, format == "ndjson")
	}
	return err
}

// MatchTable writes the matches of `stella match`, then the VEX match
// report when a statement applied to nothing.
func MatchTable(w io.Writer, out *run.Matches, box bool) error {
	t := NewTable(w, box, "PURL", "ADVISORY", "ALIASES", "RANGE", "VEX")
	for _, m := range out.Matches {
		var vex []string
		for _, s := range m.VEX {
			vex = append(vex, s.Status)
		}
		if err := t.Append(m.Purl, m.AdvisoryID, strings.Join(m.Aliases, " "), m.Range, strings.Join(vex, " ")); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if _, err := printf(w, "%d findings\n", len(out.Matches)); err != nil {
		return err
	}
	if len(out.VEXReport) == 0 {
		return nil
	}
	if _, err := printf(w, "\nVEX match report: %d statements apply to no finding\n", len(out.VEXReport)); err != nil {
		return err
	}
	r := NewTable(w, box, "STATEMENT", "VULNERABILITY", "REASON", "DETAIL")
	for _, u := range out.VEXReport {
		if err := r.Append(u.Statement, u.Vulnerability, u.Reason, u.Detail); err != nil {
			return err
		}
	}
	return r.Render()
}
