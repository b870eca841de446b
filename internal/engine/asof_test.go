package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/model"
)

// TestKnownSignals: KEV entries added and EPSS scores dated more than a day
// after the evaluation time are not applied; NVD records modified then are
// applied; each is warned about (docs/dsl.md "Input dates after the
// evaluation time").
func TestKnownSignals(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kev := &model.KEV{CatalogVersion: "1", Entries: []model.KEVEntry{{CVE: "CVE-2025-0001", DateAdded: "2025-06-01"}, {CVE: "CVE-2026-0002", DateAdded: "2026-03-01"},
		{CVE: "CVE-2026-0003", DateAdded: "2026-01-02"}}}
	cases := []struct {
		name    string
		in      model.Inputs
		kev     []string // the CVEs of the KEV entries applied
		epss    bool     // the EPSS scores applied
		warning string   // in the one warning; "" for none
	}{
		{"nothing after", model.Inputs{KEV: &model.KEV{Entries: kev.Entries[:1]}, EPSS: &model.EPSS{ScoreDate: "2026-01-01T12:00:00Z"},
			NVD: []model.NVDCVE{{ID: "CVE-2025-0001", LastModified: "2025-12-01T00:00:00Z"}}}, []string{"CVE-2025-0001"}, true, ""},
		{"a KEV entry added later is left out; within a day counts", model.Inputs{KEV: kev}, []string{"CVE-2025-0001", "CVE-2026-0003"}, false,
			"1 KEV entry was added more than a day after the evaluation time 2026-01-01T00:00:00Z and not applied (not in the catalog then: an --as-of in the past, wrong data or a wrong clock): CVE-2026-0002 (added 2026-03-01)"},
		{"EPSS scores of a later day are left out", model.Inputs{EPSS: &model.EPSS{ScoreDate: "2026-09-29T12:00:22Z", Scores: []model.EPSSScore{{CVE: "CVE-2025-0001"}}}}, nil, false,
			"the EPSS scores are dated 2026-09-29T12:00:22Z, more than a day after the evaluation time 2026-01-01T00:00:00Z, and not applied"},
		{"an NVD record modified later is used, warned", model.Inputs{NVD: []model.NVDCVE{{ID: "CVE-2025-0001", LastModified: "2026-02-01T00:00:00Z"}}}, nil, false,
			"1 NVD record was modified more than a day after the evaluation time 2026-01-01T00:00:00Z (the latest 2026-02-01T00:00:00Z) and used as given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, w := knownSignals(&c.in, at)
			var cves []string
			if got.KEV != nil {
				for _, e := range got.KEV.Entries {
					cves = append(cves, e.CVE)
				}
			}
			if strings.Join(cves, " ") != strings.Join(c.kev, " ") || (got.EPSS != nil) != c.epss || len(got.NVD) != len(c.in.NVD) {
				t.Errorf("applied KEV %v, EPSS %v, %d NVD records; want %v, %v, %d", cves, got.EPSS != nil, len(got.NVD), c.kev, c.epss, len(c.in.NVD))
			}
			switch {
			case c.warning == "" && len(w) > 0:
				t.Errorf("warnings %q, want none", w)
			case c.warning != "" && (len(w) != 1 || !strings.Contains(w[0], c.warning)):
				t.Errorf("warnings %q, want one with %q", w, c.warning)
			}
			if c.in.KEV == kev && len(kev.Entries) != 3 {
				t.Error("the inputs were changed")
			}
		})
	}
}
