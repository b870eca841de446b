package cvss

import (
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
)

func TestParseScores(t *testing.T) {
	tests := []struct {
		vector                     string
		version                    string
		base, temporal, env, score string // temporal is the threat score for v4
		severity                   string
	}{
		// v2 guide §3.3.1 (CVE-2002-0392) and §3.3.2 (CVE-2003-0818).
		{"AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H", V2, "7.8", "6.4", "9.2", "9.2", High},
		{"AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L", V2, "10", "8.3", "9", "9", High},
		{"(AV:N/AC:L/Au:N/C:P/I:P/A:P)", V2, "7.5", "7.5", "7.5", "7.5", High},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/RL:OF/RC:C", V2, "7.5", "5.9", "5.9", "5.9", Medium},
		{"AV:L/AC:H/Au:M/C:N/I:P/A:N/CR:L/IR:L", V2, "0.8", "0.8", "0", "0", Low},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V31, "9.8", "9.8", "9.8", "9.8", Critical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", V31, "6.1", "6.1", "6.1", "6.1", Medium},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", V31, "7.8", "7", "7", "7", High},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", V31, "0", "0", "0", "0", None},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V30, "9.8", "9.8", "9.8", "9.8", Critical},
		// 2.5 × 0.92 is 2.3, not 2.4 (the v3.0 calculator's float artefact).
		{"CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N/RC:U", V30, "2.5", "2.3", "2.3", "2.3", Low},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L/MAV:P", V31, "9.8", "9.8", "5", "5", Medium},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", V40, "9.3", "9.3", "9.3", "9.3", Critical},
		{"CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", V40, "8.5", "8.5", "8.5", "8.5", High},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", V40, "9.3", "8.1", "8.1", "8.1", High},
		{"CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", V40, "2", "2", "2", "2", Low},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L", V40, "9.3", "9.3", "8.9", "8.9", High},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", V40, "0", "0", "0", "0", None},
		// Supplemental metrics are accepted and do not change the score.
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:A/V:C/RE:H/U:Red", V40, "9.3", "9.3", "9.3", "9.3", Critical},
	}
	for _, tt := range tests {
		s, err := Parse(tt.vector)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.vector, err)
			continue
		}
		second := s.Temporal
		if s.Version == V40 {
			second = s.Threat
			if s.Temporal != nil {
				t.Errorf("%s: v4 score has a temporal score", tt.vector)
			}
		} else if s.Threat != nil {
			t.Errorf("%s: v2/v3 score has a threat score", tt.vector)
		}
		got := []string{s.Version, s.Base.String(), second.String(), s.Environmental.String(), s.Score.String(), s.Severity}
		want := []string{tt.version, tt.base, tt.temporal, tt.env, tt.score, tt.severity}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("Parse(%q) = %v, want %v", tt.vector, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CVSS:3.1/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N/S:U", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/MAV:X", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{" CVSS:4.0/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AV:N/AC:L/AT:N/PR:N/UI:N/E:X/U:Clear ", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Clear"},
		{"CVSS:2.0/Au:N/AV:N/AC:L/C:P/I:P/A:P/E:ND", "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if s.Vector != tt.want {
			t.Errorf("Parse(%q).Vector = %q, want %q", tt.in, s.Vector, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty vector"},
		{"CVSS:3.2/AV:N", `unsupported CVSS version "3.2"`},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "missing version prefix"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing mandatory metric A"},
		{"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `duplicate metric "AV"`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:1", `unknown metric "XX"`},
		{"CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `invalid value "Q" for metric AV`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", `malformed metric ""`},
		{"CVSS:3.1/", "no metrics"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E", `malformed metric "E"`},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S", `invalid value "S" for metric MSC`},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "missing mandatory metric SA"},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X", `invalid value "X" for metric E`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	s, err := ParseVersion(V31, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	if err != nil || s.Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" || s.Base != decimal.MustParse("9.8") {
		t.Errorf("ParseVersion(3.1, unprefixed) = %+v, %v", s, err)
	}
	if s, err := ParseVersion(V40, "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"); err != nil || s.Score != decimal.MustParse("9.3") {
		t.Errorf("ParseVersion(4.0, unprefixed) = %+v, %v", s, err)
	}
	if _, err := ParseVersion(V30, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"); err == nil {
		t.Error("ParseVersion(3.0, a 3.1 vector) succeeded")
	}
	if _, err := ParseVersion(V2, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"); err == nil {
		t.Error("ParseVersion(2.0, a 3.1 vector) succeeded")
	}
	if _, err := ParseVersion("5.0", "AV:N"); err == nil {
		t.Error("ParseVersion(5.0) succeeded")
	}
}

func TestRating(t *testing.T) {
	for _, tt := range []struct{ score, want string }{
		{"0", None}, {"0.1", Low}, {"3.9", Low}, {"4", Medium}, {"6.9", Medium},
		{"7", High}, {"8.9", High}, {"9", Critical}, {"10", Critical},
	} {
		if got := Rating(decimal.MustParse(tt.score)); got != tt.want {
			t.Errorf("Rating(%s) = %s, want %s", tt.score, got, tt.want)
		}
	}
}
