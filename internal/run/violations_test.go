package run

import (
	"slices"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestViolationRequestQuery(t *testing.T) {
	since := func(s string) (string, error) {
		if s != "24h" {
			t.Fatalf("since(%q)", s)
		}
		return "2026-01-01T00:00:00Z", nil
	}
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
		q, err := ViolationRequest{Since: "24h", SeverityMin: tc.min, Source: tc.source, Policy: "P-1"}.Query(since)
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

// TestViolationRequestSince: no --since reads no bound (since is not
// asked), a bad one fails as since says.
func TestViolationRequestSince(t *testing.T) {
	bad := fail.New(fail.Invalid, "--since %q: bad", "x")
	since := func(string) (string, error) { return "", bad }
	if q, err := (ViolationRequest{}).Query(since); err != nil || q.Since != "" {
		t.Errorf("no --since: %+v, %v", q, err)
	}
	if _, err := (ViolationRequest{Since: "x", Source: "ci"}).Query(since); err != bad {
		t.Errorf("bad --since: %v, want %v", err, bad)
	}
}
