package run

import (
	"slices"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestViolationQuery(t *testing.T) {
	for _, tc := range []struct {
		min, source string
		bands       []string
		bad         bool
	}{
		{"", "", nil, false},
		{"high", "run", []string{"Critical", "High"}, false},
		{"None", "shadow", []string{"Critical", "High", "Medium", "Low", "None"}, false},
		{"severe", "", nil, true},
		{"", "ci", nil, true},
	} {
		q, err := ViolationQuery("2026-01-01T00:00:00Z", tc.min, tc.source, "P-1")
		if tc.bad {
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("%q %q: err %v, want invalid", tc.min, tc.source, err)
			}
			continue
		}
		if err != nil || !slices.Equal(q.Bands, tc.bands) || q.Source != tc.source || q.PolicyID != "P-1" || q.Since != "2026-01-01T00:00:00Z" {
			t.Errorf("%q %q: %+v, %v", tc.min, tc.source, q, err)
		}
	}
}
