package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"日本", 4}, {"é", 1}, {"e\u0301", 1}, {"🙂", 2}, {"👩‍💻", 2}, {"\t", 1}, {"\uFFFD", 1},
	} {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestWindow: a long line is clipped to a window of display columns, not
// runes — 120 CJK characters are 240 columns, twice a screen line
// (docs/dsl.md §6) — never cutting a cluster, the column moved with it.
func TestWindow(t *testing.T) {
	a := strings.Repeat("a", 300)
	han := strings.Repeat("日", 300)
	for _, tc := range []struct {
		name      string
		line      string
		col, w    int
		want      string
		wantShift int
	}{
		{"fits", "abc", 2, 10, "abc", 0},
		{"fits exactly, wide", "日日日日日", 3, 10, "日日日日日", 0},
		{"start", a, 1, 10, "aaaaaaaaaa…", 0},
		{"middle", a, 100, 10, "…aaaaaaaaaa…", 93},
		{"end", a, 301, 10, "…aaaaaaaaaa", 289},
		{"wide start", han, 1, 10, "日日日日日…", 0},
		{"wide middle", han, 100, 10, "…日日日日日…", 96},
		{"wide end", han, 300, 10, "…日日日日日", 294},
		{"odd width never cuts a cluster", han, 1, 9, "日日日日…", 0},
		{"combining accents one column", strings.Repeat("e\u0301", 20), 21, 10, "…" + strings.Repeat("e\u0301", 10) + "…", 9},
	} {
		got, shift := Window(tc.line, tc.col, tc.w)
		if got != tc.want || shift != tc.wantShift {
			t.Errorf("%s: Window = %q, %d; want %q, %d", tc.name, got, shift, tc.want, tc.wantShift)
		}
		if body := strings.Trim(got, "…"); Width(body) > tc.w {
			t.Errorf("%s: window %q is %d columns wide, more than %d", tc.name, got, Width(body), tc.w)
		}
	}
}

// TestMarker: the caret stands under the cluster holding the rune column
// in a terminal, its padding the display width of what Printable draws
// before it — two columns for a wide character, one for a letter and its
// combining accents, one for each rune of a zero-width cluster, which
// Printable draws as U+FFFD (docs/dsl.md §6) — and the tildes cover the
// span's display width.
func TestMarker(t *testing.T) {
	for _, tc := range []struct {
		name      string
		line      string
		col, end  int
		wantLine  string // as Printable draws it
		wantCaret string
	}{
		{"ascii", "when x == 1", 6, 7, "when x == 1", "     ^"},
		{"span", "when x == 1", 6, 12, "when x == 1", "     ^~~~~~"},
		{"caret alone", "a 日 b", 3, 0, "a 日 b", "  ^"},
		{"wide point covers it", "a 日 b", 3, 4, "a 日 b", "  ^~"},
		{"wide before", "日本 x", 4, 5, "日本 x", "     ^"},
		{"combining accent is one column", "e\u0301e\u0301 x", 6, 7, "e\u0301e\u0301 x", "   ^"},
		{"emoji ZWJ sequence is two columns", "\U0001F469\u200D\U0001F4BB x", 5, 6, "\U0001F469\u200D\U0001F4BB x", "   ^"},
		{"tab stays a tab", "\t日 x", 4, 5, "\t日 x", "\t   ^"},
		{"zero-width space before", "k\u200bev x", 6, 7, "k\uFFFDev x", "     ^"},
		{"on the zero-width space", "k\u200bev", 2, 3, "k\uFFFDev", " ^"},
		{"bidi control before", "\"ab\u202ecd\" x", 9, 10, "\"ab\uFFFDcd\" x", "        ^"},
		{"lone combining mark", "\u0301\u0302 x", 4, 5, "\uFFFD\uFFFD x", "   ^"},
		{"control character", "a\x1b[31mb x", 9, 10, "a\uFFFD[31mb x", "        ^"},
		{"invalid bytes", "\xff\xfe x", 4, 5, "\uFFFD\uFFFD x", "   ^"},
		{"span over a zero-width space", "a\u200bb c", 1, 4, "a\uFFFDb c", "^~~"},
	} {
		line := Printable(tc.line)
		if line != tc.wantLine {
			t.Errorf("%s: Printable(%q) = %q, want %q", tc.name, tc.line, line, tc.wantLine)
		}
		if n, want := utf8.RuneCountInString(line), len([]rune(tc.line)); n != want {
			t.Errorf("%s: Printable(%q) has %d runes, the line %d (an invalid byte one): columns moved", tc.name, tc.line, n, want)
		}
		got := Marker(line, tc.col, tc.end)
		if got != tc.wantCaret {
			t.Errorf("%s: Marker(%q, %d, %d) = %q, want %q", tc.name, line, tc.col, tc.end, got, tc.wantCaret)
		}
		// The caret's display column is the width of the runes before col.
		if before := string([]rune(line)[:tc.col-1]); !strings.Contains(line, "\t") && strings.Index(got, "^") != Width(before) {
			t.Errorf("%s: caret at column %d, want %d (under %q)", tc.name, strings.Index(got, "^"), Width(before), []rune(line)[tc.col-1])
		}
	}
}
