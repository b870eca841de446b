package decimal

import "testing"

func TestParseString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"+0.0", "0"}, {"-0", "0"}, {"42", "42"}, {"-1.5", "-1.5"},
		{"0.00043", "0.00043"}, {"9.3e-05", "0.000093"}, {"1e2", "100"},
		{"0.0000005", "0.000001"}, {"0.00000049", "0"}, {".5", "0.5"}, {"5.", "5"},
		{"10.000", "10"}, {"-0.2", "-0.2"},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "-", ".", "1.2.3", "abc", "1e", "1e99", "99999999999999999999"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestArithmetic(t *testing.T) {
	a, b := MustParse("7.5"), MustParse("0.5")
	if got := a.Add(b).Add(MustParse("-0.2")).String(); got != "7.8" {
		t.Errorf("add %s", got)
	}
	if got := MustParse("9.8").Add(MustParse("0.7")).Clamp(Zero, Ten); got != Ten {
		t.Errorf("clamp %s", got)
	}
	if got := a.Mul(MustParse("1.2")).String(); got != "9" {
		t.Errorf("mul %s", got)
	}
	if got, ok := One.Div(MustParse("3")); !ok || got.String() != "0.333333" {
		t.Errorf("div %s", got)
	}
	if _, ok := One.Div(Zero); ok {
		t.Error("div by zero ok")
	}
	if got := MustParse("2.3456").Round3().String(); got != "2.346" {
		t.Errorf("round3 %s", got)
	}
	if got := MustParse("-2.3455").Round3().String(); got != "-2.346" {
		t.Errorf("round3 neg %s", got)
	}
	if got := MustParse("2.5").Fixed(3); got != "2.500" {
		t.Errorf("fixed %s", got)
	}
	if FromFloat(9.3).String() != "9.3" {
		t.Error("FromFloat")
	}
}
