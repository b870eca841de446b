package report

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

// TableWriter is the one table writer of every command's table output
// (NewTable): rows of cells, left-aligned, one space of padding, drawn
// with ASCII or light box characters. Every cell but a styled one is
// escaped, so a cell is one line without tabs. It draws what tablewriter drew with
// stella's settings, byte for byte (TestGridLikeTablewriter); tablewriter
// itself is not linked because its package initialisation cost every
// process ~2 ms (docs/performance.md). Column widths count runes by their
// terminal width with ANSI sequences left out, whatever the locale.
type TableWriter struct {
	w    io.Writer
	box  bool
	rows [][]string // rows[0] is the header
}

// Append adds a row; every cell but a styled one is escaped.
func (t *TableWriter) Append(cells ...any) error {
	t.rows = append(t.rows, cellStrings(cells))
	return nil
}

// cellStrings is cellText as trimmed strings.
func cellStrings(cells []any) []string {
	out := make([]string, len(cells))
	for i, c := range cellText(cells) {
		out[i] = strings.TrimSpace(c.(string))
	}
	return out
}

// Render writes the table: a border, the header, a rule, the rows and a
// border (no rule when no row was appended). Short rows are filled with
// empty cells; a row of no cells draws no line.
func (t *TableWriter) Render() error {
	n := 0
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], cellWidth(c))
		}
	}
	// corners and joints: top, rule, bottom; then the vertical bar
	edge := [3][3]string{{"+", "+", "+"}, {"+", "+", "+"}, {"+", "+", "+"}}
	horiz, vert := "-", "|"
	if t.box {
		edge = [3][3]string{{"┌", "┬", "┐"}, {"├", "┼", "┤"}, {"└", "┴", "┘"}}
		horiz, vert = "─", "│"
	}
	var b strings.Builder
	line := func(e [3]string) {
		b.WriteString(e[0])
		for i, w := range widths {
			if i > 0 {
				b.WriteString(e[1])
			}
			b.WriteString(strings.Repeat(horiz, w+2))
		}
		b.WriteString(e[2])
		b.WriteByte('\n')
	}
	row := func(r []string) {
		for i, w := range widths {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString(vert)
			b.WriteByte(' ')
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", w-cellWidth(c)+1))
		}
		b.WriteString(vert)
		b.WriteByte('\n')
	}
	line(edge[0])
	for i, r := range t.rows {
		if i == 1 {
			line(edge[1])
		}
		if len(r) > 0 {
			row(r)
		}
	}
	line(edge[2])
	_, err := io.WriteString(t.w, b.String())
	return err
}

// cellWidth is the terminal width of s: the sum of its runes' widths,
// ANSI CSI and OSC sequences left out.
func cellWidth(s string) int {
	n := 0
	for len(s) > 0 {
		if s[0] == 0x1b {
			if k := ansiLen(s); k > 0 {
				s = s[k:]
				continue
			}
		}
		r, k := utf8.DecodeRuneInString(s)
		if r < utf8.RuneSelf && r >= 0x20 && r != 0x7f {
			n++
		} else {
			n += displaywidth.Rune(r)
		}
		s = s[k:]
	}
	return n
}

// ansiLen is the length of the escape sequence s starts with, 0 if none:
// CSI (ESC [ parameters intermediates final) or OSC (ESC ] … ended by
// ESC \ or BEL, the first terminator on the same line).
func ansiLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '[':
		i := 2
		for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
			i++
		}
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
	case ']':
		for i := 2; i < len(s) && s[i] != '\n'; i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
	}
	return 0
}
