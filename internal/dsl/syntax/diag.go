package syntax

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/text"
)

// This file defines diagnostics, shared by the parser and the checker, and
// their text rendering.

// Severity grades a diagnostic.
type Severity string

// Severities, strongest first. An Error fails compilation. Blocking (only
// dsl.rule.conflict) compiles but fails `policy lint` and blocks activation.
// Warnings fail only `policy lint --strict`.
const (
	Error    Severity = "error"
	Blocking Severity = "blocking"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Blocking:
		return 1
	case Warning:
		return 2
	}
	return 3
}

// Diagnostic is one finding of the parser or checker about a source file.
type Diagnostic struct {
	File     string
	Pos, End Pos // End may equal Pos for a point; Offset is optional
	Severity Severity
	Code     string // stable dotted code, e.g. dsl.rule.missingBecause
	Msg      string // lower case, no full stop
}

// String formats d as file:line:col: severity: message [code].
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", d.File, d.Pos.Line, d.Pos.Col, d.Severity, d.Msg, d.Code)
}

type jsonDiagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	EndLine  int      `json:"endLine"`
	EndCol   int      `json:"endCol"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
}

// MarshalJSON writes d as a flat object with line/col fields.
func (d Diagnostic) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonDiagnostic{d.File, d.Pos.Line, d.Pos.Col, d.End.Line, d.End.Col, d.Severity, d.Code, d.Msg})
}

// Sort orders diagnostics by file, position, severity, code and message.
func Sort(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// Count returns how many diagnostics have severity s.
func Count(ds []Diagnostic, s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// HasErrors reports whether any diagnostic is an Error.
func HasErrors(ds []Diagnostic) bool { return Count(ds, Error) > 0 }

// MaxShown is how many diagnostics Render prints before summarising.
const MaxShown = 50

// Render writes each diagnostic as
//
//	file:line:col: severity: message [code]
//	    <the source line>
//	    ^~~~
//
// with a caret under the start and tildes under the rest of the span on that
// line. A line wider than MaxExcerpt columns is clipped around the column,
// with "…" where it is cut. src is the file's source (nil prints no
// excerpt). After MaxShown diagnostics it writes one "… and N more" line.
func Render(w io.Writer, ds []Diagnostic, src []byte) error {
	var b strings.Builder
	for i, d := range ds {
		if i == MaxShown {
			fmt.Fprintf(&b, "%s: … and %d more diagnostics\n", d.File, len(ds)-i)
			break
		}
		b.WriteString(d.String())
		b.WriteByte('\n')
		if line, ok := sourceLine(src, d.Pos); ok {
			line, d := excerpt(line, d)
			b.WriteString("    ")
			b.WriteString(line)
			b.WriteString("\n    ")
			b.WriteString(caret(line, d))
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MaxExcerpt is the most display columns of a source line Render prints
// (text.Width: a CJK character or an emoji takes two).
const MaxExcerpt = 120

// excerpt clips a line wider than MaxExcerpt columns to a window around the
// diagnostic's column (half of it before the column where the line allows;
// text.Window), marking each cut with "…", and moves the diagnostic's
// columns into the window: a 100k-character line prints as one screen
// line, the same for every run.
func excerpt(line string, d Diagnostic) (string, Diagnostic) {
	line, shift := text.Window(line, d.Pos.Col, MaxExcerpt)
	if d.End.Line == d.Pos.Line {
		d.End.Col -= shift
	}
	d.Pos.Col -= shift
	return line, d
}

// sourceLine returns line p.Line of src, without its newline, as
// text.Printable prints it: each invalid byte and each rune of a
// zero-width cluster (U+200B, a bidi control) drawn as U+FFFD, one column
// each, as the scanner counts them.
func sourceLine(src []byte, p Pos) (string, bool) {
	if src == nil || !p.IsValid() {
		return "", false
	}
	for n := 1; n < p.Line; n++ {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			return "", false
		}
		src = src[i+1:]
	}
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		src = src[:i]
	}
	return text.Printable(string(bytes.TrimRight(src, "\r"))), true
}

// caret builds the marker line under the source line (text.Marker): the
// caret under the cluster holding the column, tildes over the display
// width of the rest of the span when it ends on that line.
func caret(line string, d Diagnostic) string {
	end := 0 // the caret alone
	if d.End.Line == d.Pos.Line {
		end = max(d.Pos.Col+1, d.End.Col)
	}
	return text.Marker(line, d.Pos.Col, end)
}
