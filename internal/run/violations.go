package run

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// bandOrder is the severity bands from the worst down.
var bandOrder = []string{"Critical", "High", "Medium", "Low", "None"}

// ViolationQuery is the query of `policy violations` (ListViolations;
// docs/runs.md "Violations and state"): since an RFC 3339 time (or ""),
// severityMin the lowest band to keep, in any case (findings of unknown
// severity are always kept), source run, simulate or shadow ("" for all).
func ViolationQuery(since, severityMin, source, policy string) (store.ViolationQuery, error) {
	q := store.ViolationQuery{Since: since, Source: source, PolicyID: policy}
	if severityMin != "" {
		i := slices.IndexFunc(bandOrder, func(b string) bool { return strings.EqualFold(b, severityMin) })
		if i < 0 {
			return q, fail.New(fail.Invalid, "--severity-min %q: want %s", severityMin, strings.Join(bandOrder, ", "))
		}
		q.Bands = bandOrder[:i+1]
	}
	switch source {
	case "", store.SourceRun, store.SourceSimulate, store.SourceShadow:
	default:
		return q, fail.New(fail.Invalid, "--source %q: want run, simulate or shadow", source)
	}
	return q, nil
}
