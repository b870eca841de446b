package check

import (
	"unicode"

	"github.com/stella-policy/stella/internal/dsl/syntax"
)

// lookalikes warns about a string literal compared with inputs (an operand
// of ==, !=, in, or an argument of a call) whose source holds a character
// that is not ASCII but reads as ASCII: a dash (U+2011 non-breaking hyphen,
// U+2013 en dash, U+2212 minus…), a space (U+00A0…), a zero-width character
// or a Cyrillic or Greek letter among Latin ones — what a CVE id or a
// package name copied from a web page or a word processor brings along.
// Advisory ids, purls and package names are ASCII, so such a comparison
// never matches and a rule silently never fires (docs/dsl.md §1). An escape
// (\u2011) is visible and not reported; prose (because, message) is not
// compared and not checked.
func (c *checker) lookalikes(x syntax.Expr) {
	switch x := syntax.Unparen(x).(type) {
	case *syntax.StringLit:
		if r, ok := lookalike(x.Raw); ok {
			c.warnf(x, "dsl.string.lookalike", "string %s has U+%04X, which is not ASCII but reads as ASCII; ids, purls and package names are ASCII, so this comparison may never match — retype it, or write the escape \\u%04x if it is meant", short(x.Raw), r, r)
		}
	case *syntax.ListLit:
		for _, e := range x.Elems {
			c.lookalikes(e)
		}
	}
}

// lookalike returns the first look-alike character of s.
func lookalike(s string) (rune, bool) {
	latin := false
	for _, r := range s {
		if r < 0x80 && unicode.IsLetter(r) {
			latin = true
			break
		}
	}
	for _, r := range s {
		switch {
		case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xfe58, r == 0xfe63, r == 0xff0d: // dashes
		case r == 0x00a0, r >= 0x2000 && r <= 0x200a, r == 0x202f, r == 0x205f, r == 0x3000: // spaces
		case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff: // zero-width
		case r >= 0xff01 && r <= 0xff5e: // fullwidth ASCII
		case latin && (unicode.Is(unicode.Cyrillic, r) || unicode.Is(unicode.Greek, r)):
		default:
			continue
		}
		return r, true
	}
	return 0, false
}
