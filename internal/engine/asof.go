package engine

import (
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/text"
)

// knownSignals returns in as the signals were known at the evaluation time
// at (docs/dsl.md "Input dates after the evaluation time"), with a warning
// per signal that was not:
//
//   - a KEV entry added more than model.FutureSkew after at was not in the
//     catalog then: it is left out, so signals.kev is false for it, as the
//     catalog of that day said;
//   - EPSS scores dated after at are a later day's estimates: they are left
//     out, so signals.epss is unknown (there is no earlier score to use);
//   - an NVD record modified after at is used as given — stella holds no
//     earlier version, and leaving it out would make its severity unknown
//     — and warned about, as its metrics may be newer than that time.
//
// The inputs, their digests and counts are not changed: only what the
// evaluation reads. The same inputs at the same time decide the same.
func knownSignals(in *model.Inputs, at time.Time) (*model.Inputs, []string) {
	var warnings []string
	out := *in
	when := at.Format(time.RFC3339Nano)
	if in.KEV != nil {
		var later []string
		kev := *in.KEV
		kev.Entries = nil
		for _, e := range in.KEV.Entries {
			if model.FutureString(e.DateAdded, at) {
				later = append(later, e.CVE+" (added "+e.DateAdded+")")
				continue
			}
			kev.Entries = append(kev.Entries, e)
		}
		if len(later) > 0 {
			out.KEV = &kev
			warnings = append(warnings, text.Count(len(later), "KEV entry was", "KEV entries were")+" added more than a day after the evaluation time "+when+
				" and not applied (not in the catalog then: an --as-of in the past, wrong data or a wrong clock): "+strings.Join(text.First(later, 10), ", "))
		}
	}
	if in.EPSS != nil && model.FutureString(in.EPSS.ScoreDate, at) {
		out.EPSS = nil
		warnings = append(warnings, "the EPSS scores are dated "+in.EPSS.ScoreDate+", more than a day after the evaluation time "+when+
			", and not applied (a later day's estimates: an --as-of in the past, wrong data or a wrong clock); signals.epss is unknown")
	}
	var later []string
	var latest time.Time
	for i := range in.NVD {
		if t, ok := model.ParseTime(in.NVD[i].LastModified); ok && model.Future(t, at) {
			later = append(later, in.NVD[i].ID)
			if t.After(latest) {
				latest = t
			}
		}
	}
	if len(later) > 0 {
		warnings = append(warnings, text.Count(len(later), "NVD record was", "NVD records were")+" modified more than a day after the evaluation time "+when+
			" (the latest "+latest.Format(time.RFC3339Nano)+") and used as given: no earlier version is among the inputs, so their metrics may be newer than that time: "+strings.Join(text.First(later, 10), ", "))
	}
	return &out, warnings
}
