package store

import (
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestParsePolicySel(t *testing.T) {
	for _, c := range []struct {
		ref  string
		want PolicySel
		ok   bool
		kind fail.Kind
	}{
		{"P-1", PolicySel{ID: "P-1"}, true, 0},
		{"P-12@3", PolicySel{ID: "P-12", Version: 3}, true, 0},
		{"P-1@active", PolicySel{ID: "P-1", Pick: PickActive}, true, 0},
		{"P-1@latest", PolicySel{ID: "P-1", Pick: PickLatest}, true, 0},
		{"P-1@0", PolicySel{}, true, fail.Invalid},
		{"P-1@newest", PolicySel{}, true, fail.Invalid},
		{"P-1@", PolicySel{}, true, fail.Invalid},
		{"gate.stella", PolicySel{}, false, 0},
		{"P-0", PolicySel{}, false, 0},
	} {
		got, ok, err := ParsePolicySel(c.ref)
		if ok != c.ok || got != c.want || fail.KindOf(err) != c.kind && !(c.kind == 0 && err == nil) {
			t.Errorf("ParsePolicySel(%q) = %+v, %v, %v; want %+v, %v, kind %v", c.ref, got, ok, err, c.want, c.ok, c.kind)
		}
		if err == nil && ok && got.String() != c.ref {
			t.Errorf("%q: String() = %q", c.ref, got.String())
		}
	}
}
