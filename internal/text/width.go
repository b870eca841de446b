package text

import (
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

// A line as a terminal draws it (docs/dsl.md §6): grapheme clusters, each
// as wide as it is drawn — two columns for CJK and emoji, one for a letter
// and its combining accents — and never less than one, so that a tab or a
// lone zero-width character still takes a place.

// cluster is one grapheme cluster of a line: its text, its display width
// and how many runes it holds (columns count runes).
type cluster struct {
	s     string
	width int
	runes int
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
