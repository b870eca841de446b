package run

import (
	"strings"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// ViolationQuery is the query of `policy violations` (ListViolations;
// docs/runs.md "Violations and state"): since an RFC 3339 time (or ""),
// severityMin the lowest band to keep, in any case (findings of unknown
// severity are always kept), source run, simulate or shadow ("" for all).
func ViolationQuery(since, severityMin, source, policy string) (store.ViolationQuery, error) {
	q := store.ViolationQuery{Since: since, Source: source, PolicyID: policy}
	if severityMin != "" {
		_, i, ok := cvss.ParseBand(severityMin)
		if !ok {
			return q, fail.New(fail.Invalid, "--severity-min %q: want %s", severityMin, strings.Join(cvss.Bands(), ", "))
		}
		q.Bands = cvss.Bands()[:i+1]
	}
	switch source {
	case "", store.SourceRun, store.SourceSimulate, store.SourceShadow:
	default:
		return q, fail.New(fail.Invalid, "--source %q: want run, simulate or shadow", source)
	}
	return q, nil
}
