package report

import (
	"slices"
	"testing"
)

func TestConfigNotice(t *testing.T) {
	for _, c := range []struct{ source, key, val, want string }{
		{"./stella.yaml", "fail-on", "never", "./stella.yaml sets fail-on=never"},
		{"STELLA_EXCEPTIONS", "exceptions", "a\x1bb.yaml", `STELLA_EXCEPTIONS sets exceptions=a\x1bb.yaml`},
		{"./stella.yaml", "trust", "(a trust list)", "./stella.yaml sets trust=(a trust list)"},
		{"./stella.yaml", "governance.quorum", "3", "./stella.yaml sets governance.quorum=3"},
		{"./stella.yaml", "format", "json", ""},
		{"STELLA_QUIET", "quiet", "true", ""},
	} {
		if got := ConfigNotice(c.source, c.key, c.val); got != c.want {
			t.Errorf("ConfigNotice(%q, %q, %q) = %q, want %q", c.source, c.key, c.val, got, c.want)
		}
	}
	if keys := GateKeys(); !slices.IsSorted(keys) || !slices.Contains(keys, "as-of") {
		t.Errorf("GateKeys %v", keys)
	}
}
