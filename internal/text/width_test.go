package text

import (
	"strings"
	"testing"
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
