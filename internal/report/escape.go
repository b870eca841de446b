package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Escape makes text from inputs safe to print in a human rendering (table,
// explain, markdown, html): C0 and C1 control characters, DEL and the bidi
// overrides and isolates (U+202A–U+202E, U+2066–U+2069) are written
// visibly as \x1b or \u202e, so an SBOM or advisory field cannot erase a
// line, move the cursor or reorder what a terminal or CI log shows
// (docs/output.md, "Control characters"). Invalid UTF-8 bytes are written
// as \xNN too. Ordinary text is returned unchanged.
func Escape(s string) string { return escape(s, false, false) }

// escape is Escape; lines keeps line breaks and tabs (a whole document),
// colour keeps the SGR sequences of the palette (colourSGR).
func escape(s string, lines, colour bool) string {
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
		case colour && r == 0x1b && colourSGR(s) > 0:
			n = colourSGR(s)
			b.WriteString(s[:n])
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

// colourSGR is the length of the SGR sequence s starts with when it only
// sets or resets bold, faint or the foreground colours the palette uses;
// 0 otherwise (a cursor move, an erase, concealed text, …).
func colourSGR(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	end := strings.IndexByte(s, 'm')
	if end < 0 {
		return 0
	}
	for p := range strings.SplitSeq(s[2:end], ";") {
		switch p {
		case "", "0", "1", "2", "22", "31", "32", "33", "39", "91", "92", "93":
		default:
			return 0
		}
	}
	return end + 1
}

// unsafeRune reports whether r is a control character or a bidi override
// or isolate.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// escWriter escapes what a human renderer writes: line breaks and tabs
// stay, and the palette's colours when colour is set. Every renderer
// writes whole strings, so a rune is never split between two writes.
type escWriter struct {
	w      io.Writer
	colour bool
}

func (e escWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.w, escape(string(p), true, e.colour)); err != nil {
		return 0, err
	}
	return len(p), nil
}
