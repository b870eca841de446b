package run_test

import (
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

// TestLocate locates each finding of loose files in its SBOM file, and
// gives each advisory a SARIF help URL.
func TestLocate(t *testing.T) {
	out := evaluate(t)
	locate := out.Locator()
	for i := range out.Result.Findings {
		f := &out.Result.Findings[i]
		if p, line := locate(f); p != data+"app.cdx.json" || line <= 0 {
			t.Errorf("%s: located at %s:%d", f.FindingID, p, line)
		}
	}
	advs := out.Snapshot.Inputs.Advisories
	saved := append([]model.Advisory(nil), advs...)
	defer copy(advs, saved)
	advs[0].References = []model.Reference{{Type: "WEB", URL: "https://web.example/a"}, {Type: "ADVISORY", URL: "http://insecure.example"},
		{Type: "ADVISORY", URL: "https://adv.example/a"}}
	for _, tc := range []struct{ id, want string }{
		{advs[0].ID, "https://adv.example/a"},
		{"GHSA-none/x", "https://osv.dev/vulnerability/GHSA-none%2Fx"},
	} {
		if got := out.AdvisoryURL(tc.id); got != tc.want {
			t.Errorf("AdvisoryURL(%s) = %s, want %s", tc.id, got, tc.want)
		}
	}
}
