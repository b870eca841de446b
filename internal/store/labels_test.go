package store

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidLabel holds labelText to the regexp it replaced.
func TestValidLabel(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/+-]{0,127}$`)
	for _, l := range []string{"main", "release/1.2", "v1.2.3+build", "a", "A-b_c", "", "-main", ".x", "/x", "a b", "a\n", "main\n",
		"ü", "a..b", "x" + strings.Repeat("y", 127), "x" + strings.Repeat("y", 128), "a%b", "1"} {
		want := re.MatchString(l) && !strings.Contains(l, "..")
		if got := ValidLabel(l) == nil; got != want {
			t.Errorf("ValidLabel(%q) ok = %v, want %v", l, got, want)
		}
	}
}

func TestValidLabels(t *testing.T) {
	if err := ValidLabels([]string{"main", "release/1.4"}); err != nil {
		t.Fatal(err)
	}
	if err := ValidLabels(nil); err != nil {
		t.Fatal(err)
	}
	err := ValidLabels([]string{"main", "a..b", "-x"})
	if err == nil || !strings.Contains(err.Error(), `label "a..b"`) {
		t.Errorf("ValidLabels = %v, want the first bad label named", err)
	}
}
