package run

import (
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestCheckFailOn(t *testing.T) {
	for _, tc := range []struct {
		v       string
		allowed []string
		want    string
	}{
		{"blocked", []string{"blocked", "warned", "never"}, ""},
		{"new-warned", []string{"blocked", "warned", "never"}, `--fail-on "new-warned": want blocked, warned or never`},
		{"x", []string{"new-blocked", "never"}, `--fail-on "x": want new-blocked or never`},
		{"never", []string{"new-blocked", "never"}, ""},
	} {
		err := CheckFailOn(tc.v, tc.allowed...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckFailOn(%q): %v", tc.v, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !fail.Is(err, fail.Invalid)):
			t.Errorf("CheckFailOn(%q) = %v, want %s", tc.v, err, tc.want)
		}
	}
}
