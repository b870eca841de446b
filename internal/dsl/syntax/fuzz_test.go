package syntax

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that any input parses without panicking or hanging,
// that every diagnostic points inside the source and renders, and that a clean parse
// prints to text that parses to the same tree and is its own formatting.
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`policy "p" syntax "stella-dsl@1" { rule r { when a.b == "x" then status := "blocked" because "b" } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<16 {
			return
		}
		file, diags := Parse("fuzz", src)
		lines := bytes.Split(src, []byte("\n"))
		for _, d := range diags {
			if d.Code == "dsl.internal" {
				t.Fatalf("internal error: %s", d)
			}
			if d.Pos.Line < 1 || d.Pos.Line > len(lines) {
				t.Fatalf("%s: line outside the source (%d lines)", d, len(lines))
			}
			if n := utf8.RuneCount(lines[d.Pos.Line-1]); d.Pos.Col < 1 || d.Pos.Col > n+1 {
				t.Fatalf("%s: column outside line %d (%d runes)", d, d.Pos.Line, n)
			}
			if !strings.HasPrefix(d.Code, "dsl.syntax.") && !strings.HasPrefix(d.Code, "dsl.limit.") {
				t.Fatalf("unexpected code %s", d)
			}
		}
		var rendered bytes.Buffer
		if err := Render(&rendered, diags, src); err != nil { // the caret line of any line, any width
			t.Fatal(err)
		}
		if len(diags) > 0 || file.Policy == nil {
			return
		}
		Inspect(file, func(n Node) bool {
			sp := n.Span()
			if !sp.Start.IsValid() || sp.End.Offset < sp.Start.Offset || sp.End.Offset > len(src) {
				t.Fatalf("%T has span %v–%v outside the %d-byte source", n, sp.Start, sp.End, len(src))
			}
			return true
		})
		out := Print(file)
		f2, d2 := Parse("out", out)
		if len(d2) > 0 {
			t.Fatalf("formatted output does not parse: %v\n%s", d2, out)
		}
		if a, b := dump(file.Policy), dump(f2.Policy); a != b {
			t.Fatalf("tree changed by formatting:\n%s\n%s", a, b)
		}
		if again := Print(f2); !bytes.Equal(again, out) {
			t.Fatalf("printing is not idempotent:\n%s\nthen:\n%s", out, again)
		}
	})
}
