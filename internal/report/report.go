// Package report owns the renderings of an evaluation result: a table for
// people, JSON and NDJSON for programs, SARIF 2.1.0 for code-scanning
// dashboards, JUnit XML for CI test views, an OpenVEX document of the
// decisions, and one self-contained HTML page for auditors; plus the table
// of a baseline comparison (engine.Diff).
//
// Every renderer is deterministic: the same result gives the same bytes. No
// renderer reads the clock; times come from the result. docs/output.md
// documents each format.
package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
)

// Formats lists the formats Write accepts, in the order help texts list them.
var Formats = []string{"table", "json", "ndjson", "sarif", "junit", "openvex", "html", "markdown"}

// Options tune the renderings.
type Options struct {
	// Color styles the table with ANSI colours (only on a terminal).
	Color bool
	// TTY draws the tables of the inspection commands (bundles, snapshots,
	// feeds) with box characters: stdout is a terminal, coloured or not.
	TTY bool
	// Locate returns where a component is written: the SBOM file (a path
	// or URI, relative to the working directory) and the 1-based line of
	// the component in it (0 when unknown). SARIF locations use it; nil
	// leaves the SBOM name as the location.
	Locate func(f *engine.Finding) (uri string, line int)
	// Width is the terminal width the table must fit (0: no limit): long
	// cells are cut with an ellipsis, rows are never wrapped.
	Width int
	// Show keeps only the table rows of these verdicts (nil: all).
	Show []string
	// SARIFBase is the repository root SARIF artifact locations are made
	// relative to (uriBaseId SRCROOT); "" leaves them as Locate says.
	SARIFBase string
	// HelpURI returns an advisory's reference URL for its SARIF rule.
	HelpURI func(advisoryID string) string
	// Delta is the result's delta against a baseline, when there is one;
	// the markdown summary includes it.
	Delta *delta.Delta
	// FailOn is, under --fail-on new-blocked|new-warned, that gate, and
	// FailOnOutcome what it decided (passed, blocked, warned): the markdown
	// heading names it beside the verdict, which is the whole build's
	// (docs/ci.md "Gate a pull request on what it changed").
	FailOn, FailOnOutcome string
}

// Write renders r in format.
func Write(w io.Writer, format string, r *engine.Result, o Options) error {
	switch format {
	case "table":
		return Table(w, r, o)
	case "json":
		return JSON(w, r)
	case "ndjson":
		return NDJSON(w, r)
	case "sarif":
		return SARIF(w, r, o)
	case "junit":
		return JUnit(w, r, o)
	case "openvex":
		return OpenVEX(w, r, o)
	case "html":
		return HTML(w, r)
	case "markdown":
		return Markdown(w, r, o)
	}
	return fail.New(fail.Invalid, "unknown report format %q (want %s)", format, strings.Join(Formats, ", "))
}

// JSON writes the full result, indented, without HTML escaping.
func JSON(w io.Writer, v any) error {
	if r, ok := v.(*engine.Result); ok && len(r.Findings) > 0 {
		return streamResult(w, r)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// streamResult writes what JSON writes for a result with findings, one
// finding at a time: encoding/json would hold the whole compact text and
// its indented copy, several times the size of the output for a large
// result (each finding carries its explain trace).
func streamResult(w io.Writer, r *engine.Result) error {
	findings := encodeFindings(r.Findings)
	defer findings.close()
	shell := *r
	shell.Findings = nil
	b, err := newIndenter("", "  ").encode(&shell)
	if err != nil {
		return err
	}
	head := append(b, '\n')
	// A top-level member starts a line with two spaces; inside strings a
	// newline is escaped, so this is the findings member.
	const member = "\n  \"findings\": null"
	at := bytes.Index(head, []byte(member))
	if at < 0 {
		return fail.New(fail.Internal, "json: no findings member in the result")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:at+len(member)-len("null")])
	bw.WriteString("[\n")
	if err := findings.writeTo(bw); err != nil {
		return err
	}
	bw.WriteString("\n  ]")
	bw.Write(head[at+len(member):])
	return bw.Flush()
}

// NDJSON writes one finding per line, in finding order, without its
// explain trace (explainId names it; the json format carries the traces).
func NDJSON(w io.Writer, r *engine.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, f := range r.Findings {
		f.Explain = nil
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// verdictRank orders verdicts for people: what needs action first.
var verdictRank = map[string]int{
	engine.VerdictBlocked: 0,
	engine.VerdictWarned:  1,
	engine.VerdictQuieted: 2,
	engine.VerdictIgnored: 3,
	engine.VerdictPassed:  4,
}

// ByAttention returns the findings sorted by verdict (blocked first), then
// severity score (highest first, unknown last), then finding id.
func ByAttention(fs []engine.Finding) []*engine.Finding {
	out := make([]*engine.Finding, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	slices.SortStableFunc(out, func(a, b *engine.Finding) int {
		return cmp.Or(
			cmp.Compare(verdictRank[a.Verdict], verdictRank[b.Verdict]),
			cmpScore(b, a),
			strings.Compare(a.FindingID, b.FindingID),
		)
	})
	return out
}

func cmpScore(a, b *engine.Finding) int {
	switch {
	case a.Severity.Score == nil && b.Severity.Score == nil:
		return 0
	case a.Severity.Score == nil:
		return -1
	case b.Severity.Score == nil:
		return 1
	}
	return a.Severity.Score.Cmp(*b.Severity.Score)
}

func scoreText(f *engine.Finding) string {
	if f.Severity.Score == nil {
		return "-"
	}
	return f.Severity.Score.String()
}
