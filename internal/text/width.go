package text

import (
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

// A line as a terminal draws it (docs/dsl.md §6): grapheme clusters, each
// as wide as it is drawn — two columns for CJK and emoji, one for a letter
// and its combining accents — and never less than one, so that a tab or a
// lone zero-width character still takes a place. Printable makes the last
// true on screen too: it draws each zero-width cluster but a tab as one
// U+FFFD per rune, so Width, Window and Marker agree with the terminal.

// cluster is one grapheme cluster of a line: its text, its display width
// and how many runes it holds (columns count runes).
type cluster struct {
	s     string
	width int
	runes int
}

// Printable is line as a diagnostic prints it: each invalid UTF-8 byte,
// and each rune of a cluster a terminal draws zero columns wide — a control
// or format character such as U+200B or U+202E, a combining mark with no
// letter before it — but a tab, becomes U+FFFD. Every rune keeps a column
// of its own on screen (columns count runes) and nothing hidden moves,
// reorders or hides the rest of the line. A tab stays a tab: Marker copies
// it.
func Printable(line string) string {
	if plain(line) {
		return line
	}
	if !utf8.ValidString(line) {
		line = strings.Map(func(r rune) rune { return r }, line) // U+FFFD per invalid byte
	}
	var b strings.Builder
	for g := displaywidth.StringGraphemes(line); g.Next(); {
		v := g.Value()
		if g.Width() > 0 || v == "\t" {
			b.WriteString(v)
			continue
		}
		for range utf8.RuneCountInString(v) {
			b.WriteRune(utf8.RuneError)
		}
	}
	return b.String()
}

// plain reports whether line is only printable ASCII and tabs.
func plain(line string) bool {
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return false
		}
	}
	return true
}

// Marker is the line to print under a Printable line so that, in a
// terminal, a caret stands under the cluster holding rune column col
// (1-based) and tildes cover the display width of the span up to rune
// column end (exclusive): end col+1 covers the caret's cluster, a wide one
// too; end <= col prints the caret alone. Before the caret each cluster
// becomes as many spaces as it is wide, and a tab stays a tab.
func Marker(line string, col, end int) string {
	var b strings.Builder
	c, span := 1, 0 // c: the rune column of the cluster; span: display width of the span
	stop := max(end, col+1)
	for _, x := range clusters(line) {
		if c >= stop {
			break
		}
		switch {
		case c+x.runes <= col: // before the caret
			if x.s == "\t" {
				b.WriteByte('\t')
			} else {
				b.WriteString(strings.Repeat(" ", x.width))
			}
		case c < end:
			span += x.width
		}
		c += x.runes
	}
	b.WriteByte('^')
	b.WriteString(strings.Repeat("~", max(span-1, 0)))
	return b.String()
}

func clusters(line string) []cluster {
	var cs []cluster
	for g := displaywidth.StringGraphemes(line); g.Next(); {
		v := g.Value()
		cs = append(cs, cluster{v, max(g.Width(), 1), utf8.RuneCountInString(v)})
	}
	return cs
}

// Width is the display width of line, each grapheme cluster at least one
// column.
func Width(line string) int {
	n := 0
	for g := displaywidth.StringGraphemes(line); g.Next(); {
		n += max(g.Width(), 1)
	}
	return n
}

// Window clips a line wider than width display columns to a window of at
// most width columns around the rune column col (1-based): about half of
// it before the cluster holding col where the line allows, never a
// cluster cut, "…" marking each cut. shift is how many runes the window
// moved columns left (the leading "…" counts one), so col-shift is col in
// the window. A line that fits is returned whole with shift 0.
func Window(line string, col, width int) (out string, shift int) {
	if Width(line) <= width {
		return line, 0
	}
	cs := clusters(line)
	k, c := 0, 1 // k: the cluster holding col; c: its rune column
	for k < len(cs) && c+cs[k].runes <= col {
		c += cs[k].runes
		k++
	}
	from, used := k, 0
	for from > 0 && used+cs[from-1].width <= width/2 {
		from--
		used += cs[from].width
	}
	to := from
	used = 0
	for to < len(cs) && used+cs[to].width <= width {
		used += cs[to].width
		to++
	}
	for from > 0 && to == len(cs) && used+cs[from-1].width <= width {
		from--
		used += cs[from].width
	}
	var b strings.Builder
	for _, x := range cs[:from] {
		shift += x.runes
	}
	if from > 0 {
		b.WriteString("…")
		shift--
	}
	for _, x := range cs[from:to] {
		b.WriteString(x.s)
	}
	if to < len(cs) {
		b.WriteString("…")
	}
	return b.String(), shift
}
