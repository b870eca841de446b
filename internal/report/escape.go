package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Escape makes text from inputs safe to print in a human rendering (table,
// explain, markdown, html, stderr): C0 and C1 control characters, DEL and
// the bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) are
// written visibly as \x1b or \u202e, so an SBOM or advisory field cannot
// erase a line, move the cursor, colour text or reorder what a terminal or
// CI log shows (docs/output.md, "Control characters"). Invalid UTF-8 bytes
// are written as \xNN too. Ordinary text is returned unchanged, and so is
// escaped text: Escape(Escape(s)) == Escape(s).
func Escape(s string) string { return escape(s, false) }

// escape is Escape; lines keeps line breaks and tabs (a whole document).
func escape(s string, lines bool) string {
	if strings.IndexFunc(s, unsafeRune) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case lines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// unsafeRune reports whether r is a control character or a bidi override
// or isolate.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// styled is text the palette wrote: the renderer's own words, with their
// colours when colour is on, around values escaped before they were
// painted. It is the one kind of text a coloured rendering writes as it
// is; everything else is escaped value by value (printf, Table.Append),
// so no writer has to tell the palette's escape sequences from an
// input's.
type styled string

// esc formats an argument of printf with its verb, then escapes it; a
// string is escaped first, so a width pads what is shown.
type esc struct{ v any }

func (e esc) Format(f fmt.State, verb rune) {
	v := e.v
	if s, ok := v.(string); ok && (verb == 's' || verb == 'v') {
		v = Escape(s)
	}
	io.WriteString(f, Escape(fmt.Sprintf(fmt.FormatString(f, verb), v)))
}

// escaped wraps every argument but styled ones in esc.
func escaped(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(styled); ok {
			out[i] = string(s)
		} else {
			out[i] = esc{a}
		}
	}
	return out
}

// printf is fmt.Fprintf for a human rendering: the format is the
// renderer's own text, every argument is escaped unless styled.
func printf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, escaped(args)...)
}

// printLine is fmt.Fprintln for a human rendering, escaped like printf.
func printLine(w io.Writer, args ...any) (int, error) {
	return fmt.Fprintln(w, escaped(args)...)
}

// sprintf is fmt.Sprintf escaped like printf; the result is safe to
// print as it is.
func sprintf(format string, args ...any) styled {
	return styled(fmt.Sprintf(format, escaped(args)...))
}

// cellText is cells as strings, escaped unless styled.
func cellText(cells []any) []any {
	out := make([]any, len(cells))
	for i, c := range cells {
		switch c := c.(type) {
		case styled:
			out[i] = string(c)
		case nil:
			out[i] = ""
		default:
			out[i] = Escape(fmt.Sprint(c))
		}
	}
	return out
}

// escWriter escapes a whole document a renderer writes without colour
// (markdown, html, stderr): line breaks and tabs stay. A rune split
// between two writes is written as \xNN bytes, never passed through.
type escWriter struct{ w io.Writer }

func (e escWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.w, escape(string(p), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Escaping returns w escaping what is written to it like Escape, line
// breaks and tabs kept: the stream for messages that quote inputs
// (stderr), where nothing is coloured. A progress bar drawn on it
// (ProgressBar) draws on w itself.
func Escaping(w io.Writer) io.Writer { return escWriter{w} }
