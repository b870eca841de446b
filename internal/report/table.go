package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/text"
)

// palette styles the table on a terminal; without colour it is the identity.
type palette struct {
	on                   bool
	bad, warn, good, dim lipgloss.Style
	bold                 lipgloss.Style
}

func newPalette(on bool) palette {
	return palette{
		on:   on,
		bad:  lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		warn: lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		good: lipgloss.NewStyle().Foreground(lipgloss.Green),
		dim:  lipgloss.NewStyle().Faint(true),
		bold: lipgloss.NewStyle().Bold(true),
	}
}

// paint escapes s, then styles it when colour is on.
func (p palette) paint(st lipgloss.Style, s string) styled {
	s = Escape(s)
	if !p.on {
		return styled(s)
	}
	return styled(st.Render(s))
}

func (p palette) verdict(v string) styled {
	switch v {
	case engine.VerdictBlocked:
		return p.paint(p.bad, v)
	case engine.VerdictWarned:
		return p.paint(p.warn, v)
	case engine.VerdictPassed:
		return p.paint(p.good, v)
	}
	return p.paint(p.dim, v)
}

// NewTable returns a left-aligned table with the given headers, drawn with
// box characters when box is set (on a terminal) and plain ASCII otherwise:
// the one table writer of every command's table output. Its cells are
// escaped unless styled (TableWriter).
func NewTable(w io.Writer, box bool, headers ...any) *TableWriter {
	return &TableWriter{w: w, box: box, rows: [][]string{cellStrings(headers)}}
}

// Table writes a summary line, the gates, and one row per finding sorted by
// attention (ByAttention), with the rule that decided each.
func Table(w io.Writer, r *engine.Result, o Options) error {
	p := newPalette(o.Color)
	if _, err := printLine(w, summaryLine(r, p)); err != nil {
		return err
	}
	for _, g := range r.Gates {
		mark := p.paint(p.good, "pass")
		switch g.Outcome {
		case engine.GateBlock:
			mark = p.paint(p.bad, "BLOCK")
		case engine.GateWarn:
			mark = p.paint(p.warn, "warn")
		}
		if _, err := printf(w, "gate %-18s %-5s %s\n", g.Name, mark, g.Message); err != nil {
			return err
		}
	}
	for _, warning := range resultWarnings(r) {
		if slices.Contains(r.Notices, warning) {
			continue // on stderr already, once (docs/output.md "stderr")
		}
		if _, err := printLine(w, p.paint(p.dim, "note: "+warning)); err != nil {
			return err
		}
	}
	if len(r.Findings) == 0 {
		_, err := printLine(w, "no findings")
		return err
	}
	rows, groups := findingRows(r.Findings, o.Show)
	if len(rows) == 0 {
		_, err := printf(w, "no findings shown (--show %s)\n", strings.Join(o.Show, ","))
		return err
	}
	for _, row := range rows {
		for i, c := range row {
			row[i] = Escape(c) // before fit measures them and the verdict is painted
		}
	}
	headers := []string{"VERDICT", "SEVERITY", "SCORE", "PACKAGE", "ADVISORY", "VEX", "RULE", "FIXED-IN"}
	fit(headers, rows, o.Width, []shrinkable{{3, 24}, {6, 14}, {5, 12}, {7, 10}, {4, 19}})
	t := NewTable(w, o.Color, toAny(headers)...)
	for _, row := range rows {
		cells := toAny(row)
		cells[0] = p.verdict(row[0])
		if err := t.Append(cells...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := printLine(w, clip(g, o.Width)); err != nil {
			return err
		}
	}
	if _, err := printLine(w, "by severity: "+SeverityCounts(r)); err != nil {
		return err
	}
	if len(rows) > footerRows {
		_, err := printLine(w, summaryLine(r, p))
		return err
	}
	return nil
}

// SeverityCounts lists the findings per severity band, unknown included:
// "1 Critical, 2 High, 0 Medium, 0 Low, 0 None, 3 unknown".
func SeverityCounts(r *engine.Result) string {
	var parts []string
	for _, b := range r.Summary.BySeverity.List() {
		name := b.Band
		if name == "Unknown" {
			name = "unknown"
		}
		parts = append(parts, fmt.Sprintf("%d %s", b.Count, name))
	}
	return strings.Join(parts, ", ")
}

// unknownText is what a summary line says after the counts when findings
// have an unknown severity: they pass a policy that tests only severity.
func unknownText(r *engine.Result) string {
	if n := r.Summary.BySeverity.Unknown; n > 0 {
		return fmt.Sprintf(", %d of unknown severity", n)
	}
	return ""
}

// UncheckedText is what a summary line says after the counts when
// components could not be checked against any advisory (docs/output.md
// "Coverage"): ", 182 components unchecked (Debian:11 176, (no purl) 6)".
func UncheckedText(r *engine.Result) string {
	if r.Summary.Unchecked == 0 {
		return ""
	}
	return fmt.Sprintf(", %s unchecked (%s)", text.Count(r.Summary.Unchecked, "component", "components"), UncheckedList(r))
}

// UncheckedList names the ecosystems with unchecked components and their
// counts, at most three and then "…": "Debian:11 176, (no purl) 6".
func UncheckedList(r *engine.Result) string { return ecosystemList(r.Summary.UncheckedByEcosystem) }

// ecosystemList is "Debian:11 176, (no purl) 6": the first three
// ecosystems and their counts, "…" when there are more.
func ecosystemList(counts []engine.EcosystemCount) string {
	var parts []string
	for i, e := range counts {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", e.Ecosystem, e.Components))
	}
	return strings.Join(parts, ", ")
}

// footerRows is how long a table must be for the summary line to be
// repeated after it.
const footerRows = 20

// findingRows are the table rows of the findings a --show filter keeps, by
// attention; identical instances of one component (same purl, advisory and
// decision, in other SBOMs or locations) are one row, with a line naming
// their locations.
func findingRows(fs []engine.Finding, show []string) (rows [][]string, groups []string) {
	type group struct {
		row  []string
		locs []string
	}
	var order []*group
	byKey := map[string]*group{}
	for _, f := range ByAttention(fs) {
		if len(show) > 0 && !slices.Contains(show, f.Verdict) {
			continue
		}
		row := []string{f.Verdict, f.Severity.Band, scoreText(f), pkgText(f), f.AdvisoryID, f.VEXStatus, ruleText(f), fixedText(f.FixedIn)}
		key := strings.Join(row, "\x00") + "\x00" + f.Purl
		loc := canon.Short(f.Component.SBOM, 12) + " " + f.Component.Ref
		if g, ok := byKey[key]; ok {
			g.locs = append(g.locs, loc)
			continue
		}
		g := &group{row: row, locs: []string{loc}}
		byKey[key] = g
		order = append(order, g)
	}
	for _, g := range order {
		if n := len(g.locs); n > 1 {
			g.row[3] += fmt.Sprintf(" ×%d", n)
			groups = append(groups, fmt.Sprintf("%s %s: %d instances at %s", g.row[3][:strings.LastIndex(g.row[3], " ×")], g.row[4], n, strings.Join(g.locs, ", ")))
		}
		rows = append(rows, g.row)
	}
	return rows, groups
}

// shrinkable is a column that gives way when a table is too wide, down to
// floor in a first round, then further.
type shrinkable struct{ col, floor int }

// fit shrinks columns until a table of rows fits in width characters,
// truncating cells with an ellipsis; rows are never wrapped. Columns give
// way in the order of shrink, each first to its floor; then the widest
// shrinks first, the last of shrink only when no other can. width 0 means
// no limit.
func fit(headers []string, rows [][]string, width int, shrink []shrinkable) {
	if width <= 0 {
		return
	}
	ws := make([]int, len(headers))
	for i, h := range headers {
		ws[i] = textWidth(h)
	}
	for _, row := range rows {
		for i, c := range row {
			ws[i] = max(ws[i], textWidth(c))
		}
	}
	over := 1 - width
	for _, x := range ws {
		over += x + 3 // "| " + cell + " "
	}
	for _, sh := range shrink {
		if over <= 0 {
			break
		}
		take := min(over, max(ws[sh.col]-sh.floor, 0))
		ws[sh.col] -= take
		over -= take
	}
	const least = 6
	for over > 0 {
		// The last column in shrink order (the identifier) waits until the
		// others are as narrow as they get.
		best := -1
		for k, sh := range shrink {
			i := sh.col
			if k == len(shrink)-1 && best >= 0 {
				break
			}
			if ws[i] > max(least, textWidth(headers[i])) && (best < 0 || ws[i] > ws[best]) {
				best = i
			}
		}
		if best < 0 {
			break // as narrow as it gets
		}
		ws[best]--
		over--
	}
	for _, row := range rows {
		for i := range row {
			row[i] = truncate(row[i], ws[i])
		}
	}
}

// clip truncates a line to width (0: no limit).
func clip(s string, width int) string {
	if width <= 0 {
		return s
	}
	return truncate(s, width)
}

// truncate shortens s to n display characters, ending in an ellipsis.
func truncate(s string, n int) string {
	if textWidth(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// textWidth is the display width of plain text (one column a rune).
func textWidth(s string) int { return utf8.RuneCountInString(s) }

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Summary is the one-line outcome of a result, without colour: verdict,
// counts, policy and evaluation time.
func Summary(r *engine.Result) string { return string(summaryLine(r, newPalette(false))) }

func summaryLine(r *engine.Result, p palette) styled {
	v := r.Summary.ByVerdict
	var counts []string
	for _, c := range []struct {
		n    int
		what string
	}{{v.Blocked, "blocked"}, {v.Warned, "warned"}, {v.Quieted, "quieted"}, {v.Ignored, "ignored"}, {v.Passed, "passed"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(counts) == 0 {
		counts = []string{"0 findings"}
	}
	verdict := p.paint(p.good, strings.ToUpper(r.Verdict))
	switch r.Verdict {
	case engine.VerdictBlocked:
		verdict = p.paint(p.bad, strings.ToUpper(r.Verdict))
	case engine.VerdictWarned:
		verdict = p.paint(p.warn, strings.ToUpper(r.Verdict))
	}
	shadow := ""
	if r.Shadow {
		shadow = " (shadow: not enforced)"
	}
	return sprintf("%s%s: %s of %d findings%s · policy %q %s · evaluated at %s", verdict, shadow, strings.Join(counts, ", "),
		r.Summary.Findings, unknownText(r)+UncheckedText(r), r.Policy.ID, canon.Short(r.Policy.Digest, 12), r.EvaluationTime)
}

// ruleText names what decided a finding: its rule (or setting) and the
// exception that applied, if any.
func ruleText(f *engine.Finding) string {
	switch {
	case f.Exception != nil && f.Rule != "":
		return f.Rule + " + exception " + f.Exception.ID
	case f.Exception != nil:
		return "exception " + f.Exception.ID
	case f.Rule != "":
		return f.Rule
	case len(f.Warnings) > 0:
		// A warn rule decides no status: show what it said.
		return "warn: " + f.Warnings[0]
	}
	return "-"
}

func pkgText(f *engine.Finding) string {
	if f.Version == "" {
		return f.Name
	}
	return f.Name + "@" + f.Version
}

// DiffTable writes a baseline comparison: the summary, the per-rule impact
// and one row per changed finding.
func DiffTable(w io.Writer, d *engine.Diff, o Options) error {
	p := newPalette(o.Color)
	s := d.Summary
	printf(w, "baseline %q %s: %s · candidate %q %s: %s\n", d.Baseline.Policy.ID, canon.Short(d.Baseline.Policy.Digest, 12),
		p.verdict(d.Baseline.Verdict), d.Candidate.Policy.ID, canon.Short(d.Candidate.Policy.Digest, 12), p.verdict(d.Candidate.Verdict))
	printf(w, "%d added, %d removed, %d changed, %d unchanged; %d newly blocked, %d no longer blocked\n",
		s.Added, s.Removed, s.Changed, s.Unchanged, s.NewBlocked, s.Unblocked)
	if !d.SameInputs {
		printLine(w, p.paint(p.warn, "note: the two results were evaluated on different inputs"))
	}
	for _, sh := range s.SeverityShifts {
		printf(w, "severity %s → %s: %d\n", sh.From, sh.To, sh.Count)
	}
	rt := NewTable(w, o.Color, "RULE", "BASELINE MATCHED/DECIDED", "CANDIDATE MATCHED/DECIDED", "GAINED", "LOST")
	for _, r := range d.Rules {
		side := func(in bool, m, dec int) string {
			if !in {
				return "-"
			}
			return fmt.Sprintf("%d/%d", m, dec)
		}
		if err := rt.Append(r.Rule, side(r.InBaseline, r.BaselineMatched, r.BaselineDecided),
			side(r.InCandidate, r.CandidateMatched, r.CandidateDecided), fmt.Sprint(r.Gained), fmt.Sprint(r.Lost)); err != nil {
			return err
		}
	}
	if err := rt.Render(); err != nil {
		return err
	}
	if len(d.Changes) == 0 {
		_, err := printLine(w, "no verdict changes")
		return err
	}
	ct := NewTable(w, o.Color, "CHANGE", "PACKAGE", "ADVISORY", "VERDICT", "SEVERITY", "RULE")
	for _, c := range d.Changes {
		var verdict any = arrow(c.OldVerdict, c.NewVerdict)
		if c.NewVerdict == engine.VerdictBlocked && c.OldVerdict != engine.VerdictBlocked {
			verdict = p.paint(p.bad, arrow(c.OldVerdict, c.NewVerdict))
		}
		if err := ct.Append(c.Kind, c.Purl, c.AdvisoryID, verdict, arrow(c.OldSeverity, c.NewSeverity), arrow(c.OldRule, c.NewRule)); err != nil {
			return err
		}
	}
	return ct.Render()
}
