package run

import (
	"strings"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// ViolationRequest is `policy violations` as the command line gives it
// (ListViolations; docs/runs.md "Violations and state"): Since an age or a
// time ("" for all runs), SeverityMin the lowest band to keep, in any case
// (findings of unknown severity are always kept), Source run, simulate or
// shadow ("" for all), Policy a policy id.
type ViolationRequest struct {
	Since, SeverityMin, Source, Policy string
}

// Query is the store query of r. since turns a given Since into an RFC
// 3339 bound: an age counts back from the database's clock
// (governance.AuditSince, the audit log's reading of --since).
func (r ViolationRequest) Query(since func(string) (string, error)) (store.ViolationQuery, error) {
	q := store.ViolationQuery{Source: r.Source, PolicyID: r.Policy}
	if r.Since != "" {
		var err error
		if q.Since, err = since(r.Since); err != nil {
			return q, err
		}
	}
	if r.SeverityMin != "" {
		_, i, ok := cvss.ParseBand(r.SeverityMin)
		if !ok {
			return q, fail.New(fail.Invalid, "--severity-min %q: want %s", r.SeverityMin, strings.Join(cvss.Bands(), ", "))
		}
		q.Bands = cvss.Bands()[:i+1]
	}
	switch r.Source {
	case "", store.SourceRun, store.SourceSimulate, store.SourceShadow:
	default:
		return q, fail.New(fail.Invalid, "--source %q: want run, simulate or shadow", r.Source)
	}
	return q, nil
}
