package syntax

import (
	"strings"
	"testing"
)

// TestCaretWidth: the marker line lines up with the source line in a
// terminal: a wide character (CJK, emoji) before the column takes two
// columns of padding, a cluster of several runes (ZWJ emoji, a letter and
// its combining accent) the width it is drawn with, a tab stays a tab, and
// the tildes under a span cover the span's display width; a zero-width
// character (U+200B, a bidi control) is printed as U+FFFD and takes its
// column (text.Printable). Columns in the message stay rune counts
// (docs/dsl.md §6).
func TestCaretWidth(t *testing.T) {
	cases := []struct {
		name      string
		line      string
		col, end  int // rune columns; end 0: a point
		wantMsg   string
		wantCaret string
		shown     string // the source line as printed, when not the line
	}{
		{"ascii", `when x == 1`, 6, 7, "p.stella:1:6:", `     ^`, ""},
		{"CJK before", `"日本" x`, 6, 7, "p.stella:1:6:", `       ^`, ""},
		{"emoji before", `"🙂" x`, 5, 0, "p.stella:1:5:", `     ^`, ""},
		{"ZWJ family is one wide cluster", "\"\U0001F468\u200D\U0001F469\u200D\U0001F467\" x", 9, 0, "p.stella:1:9:", `     ^`, ""},
		{"combining accent is one column", "\"e\u0301\" x", 6, 0, "p.stella:1:6:", `    ^`, ""},
		{"tab and CJK", "\t日 x", 4, 0, "p.stella:1:4:", "\t   ^", ""},
		{"span over CJK", `== "日本" or`, 4, 8, "p.stella:1:4:", `   ^~~~~~`, ""},
		{"span over emoji", `== "🙂" or`, 4, 7, "p.stella:1:4:", `   ^~~~`, ""},
		{"caret inside a cluster marks the cluster", "\"e\u0301\" x", 3, 0, "p.stella:1:3:", ` ^`, ""},
		{"span cut at the line end", `x "日本`, 3, 99, "p.stella:1:3:", `  ^~~~~`, ""},
		{"a point on a wide character covers it", `x 日 y`, 3, 0, "p.stella:1:3:", `  ^~`, ""},
		{"invalid byte is one column", "\xff\xfe x", 4, 0, "p.stella:1:4:", `   ^`, ""},
		{"zero-width space shown and one column", "has_tag(\"k\u200bev\")", 9, 15, "p.stella:1:9:", `        ^~~~~~`, "has_tag(\"k\uFFFDev\")"},
		{"after a bidi control", "owner = \"ab\u202ecd\" x", 16, 0, "p.stella:1:16:", `               ^`, "owner = \"ab\uFFFDcd\" x"},
		{"on a bidi control", "owner = \"ab\u202ecd\"", 12, 0, "p.stella:1:12:", `           ^`, "owner = \"ab\uFFFDcd\""},
		{"combining and wide before", "\"e\u0301日\" x", 7, 0, "p.stella:1:7:", `      ^`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Diagnostic{File: "p.stella", Pos: Pos{Line: 1, Col: tc.col}, End: Pos{Line: 1, Col: tc.end}, Severity: Error, Code: "dsl.test", Msg: "m"}
			if tc.end == 0 {
				d.End = d.Pos
			}
			var b strings.Builder
			if err := Render(&b, []Diagnostic{d}, []byte(tc.line+"\n")); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			shown := string([]rune(tc.line))
			if tc.shown != "" {
				shown = tc.shown
			}
			if len(lines) != 3 || !strings.HasPrefix(lines[0], tc.wantMsg) || lines[1] != "    "+shown || lines[2] != "    "+tc.wantCaret {
				t.Errorf("got\n%s\nwant caret line %q", b.String(), "    "+tc.wantCaret)
			}
		})
	}
}
