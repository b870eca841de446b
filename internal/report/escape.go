package report

import (
	"fmt"
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
func Escape(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
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
