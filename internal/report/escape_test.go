package report

import "testing"

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.20"},
		{"café — ≥ 7.5 ✓", "café — ≥ 7.5 ✓"},
		{"x\x1b[2K\rPASSED", `x\x1b[2K\x0dPASSED`},
		{"a\nb\tc", `a\x0ab\x09c`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"bad\xffutf8", `bad\xffutf8`},
		{`back\slash`, `back\slash`},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
