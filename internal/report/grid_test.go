package report

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// viaTablewriter draws a table the way NewTable did with tablewriter, the
// reference TableWriter replaces (grid.go).
func viaTablewriter(t *testing.T, box bool, headers []any, rows [][]any) string {
	t.Helper()
	var b bytes.Buffer
	sym := tw.NewSymbols(tw.StyleASCII)
	if box {
		sym = tw.NewSymbols(tw.StyleLight)
	}
	tbl := tablewriter.NewTable(&b,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: sym})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	tbl.Header(cellText(headers)...)
	for _, r := range rows {
		if err := tbl.Append(cellText(r)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func viaGrid(t *testing.T, box bool, headers []any, rows [][]any) string {
	t.Helper()
	var b bytes.Buffer
	tbl := NewTable(&b, box, headers...)
	for _, r := range rows {
		if err := tbl.Append(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGridLikeTablewriter draws random tables both ways: cells of ASCII,
// wide, combining, emoji, ambiguous-width and invalid text, control
// characters (escaped), edge spaces (trimmed), coloured cells (styled),
// empty cells, short and long rows, no rows; ASCII and box.
func TestGridLikeTablewriter(t *testing.T) {
	twwidth.SetEastAsian(false) // the reference as in a non-CJK locale
	pieces := []string{"a", "Z", "0", "-", " ", "  ", "sha256:5ce8ad8883e8…", "P-1@1", "日本", "ｂ", "é", "e\u0301",
		"👍🏽", "±½", "\u00a0", "\x1b[31m", "\t", "\n", "\x00", "\xff", "\u202e", "→", "│", "abcdefghij abcdefghij", "%", "\\"}
	p := newPalette(true)
	styles := []func(string) styled{
		func(s string) styled { return p.paint(p.bad, s) },
		func(s string) styled { return p.paint(p.dim, s) },
		func(s string) styled { return p.verdict(s) },
		func(s string) styled { return newPalette(false).paint(p.bad, s) },
	}
	rng := rand.New(rand.NewPCG(15, 6))
	cell := func() any {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		switch rng.IntN(6) {
		case 0:
			return styles[rng.IntN(len(styles))](b.String())
		case 1:
			return rng.IntN(1000)
		case 2:
			return nil
		}
		return b.String()
	}
	for i := range 1000 {
		cols := 1 + rng.IntN(6)
		headers := make([]any, cols)
		for j := range headers {
			headers[j] = cell()
		}
		rows := make([][]any, rng.IntN(5))
		for j := range rows {
			n := cols
			if rng.IntN(5) == 0 {
				n = rng.IntN(cols + 3)
			}
			rows[j] = make([]any, n)
			for k := range rows[j] {
				rows[j][k] = cell()
			}
		}
		box := i%2 == 1
		want, got := viaTablewriter(t, box, headers, rows), viaGrid(t, box, headers, rows)
		if got != want {
			t.Fatalf("table %d (box %v, headers %q, rows %q):\ngot\n%s\nwant\n%s", i, box, headers, rows, got, want)
		}
	}
}
