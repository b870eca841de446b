package store

import (
	"context"
	"slices"
	"strings"
)

// Violation sources: where a blocked or warned finding was seen.
const (
	SourceRun      = "run"      // a full policy run
	SourceSimulate = "simulate" // a recorded simulation
	SourceShadow   = "shadow"   // a shadow run or simulation (not enforced)
)

// ViolationQuery filters violations. Zero values do not restrict.
type ViolationQuery struct {
	Since    string   // RFC 3339: seen in runs started at or after it
	Bands    []string // severity bands to keep (Unknown is always kept)
	Source   string   // SourceRun, SourceSimulate or SourceShadow
	PolicyID string
}

// Violation is one finding identity that was blocked or warned, across the
// recorded runs: the same finding id (SBOM, component, advisory) counts
// once (docs/runs.md "Violations").
type Violation struct {
	FindingID  string   `json:"findingId"`
	Purl       string   `json:"purl"`
	AdvisoryID string   `json:"advisoryId"`
	Severity   string   `json:"severity"` // the band of the latest run that saw it
	Verdict    string   `json:"verdict"`  // the worst verdict: blocked over warned
	Policies   []string `json:"policies"` // policy ids, sorted
	Sources    []string `json:"sources"`  // sorted
	FirstSeen  string   `json:"firstSeen"`
	LastSeen   string   `json:"lastSeen"`
	Runs       int      `json:"runs"`
	LastRun    string   `json:"lastRun"`
}

// violationRows is the SQL of one row per (run, blocked or warned finding)
// of a succeeded run, with its source; docs/sync.md shows the same in
// PostgreSQL (view policy.violation_events).
const violationRows = `SELECT f.finding_id, f.purl, f.advisory_id, f.severity_band, f.verdict, r.policy_id, r.run_id, r.started_at,
	CASE WHEN r.shadow = 1 THEN 'shadow' ELSE r.mode END AS source
	FROM findings f JOIN runs r ON r.tenant = f.tenant AND r.run_id = f.run_id
	WHERE f.tenant = ? AND r.status = 'succeeded' AND f.verdict IN ('blocked', 'warned')`

// Violations lists the tenant's violations, most recently seen first.
func (t *Tx) Violations(ctx context.Context, q ViolationQuery) ([]Violation, error) {
	sqlq := `SELECT * FROM (` + violationRows + `) WHERE 1 = 1`
	args := []any{t.tenant}
	if q.Since != "" {
		sqlq += ` AND started_at >= ?`
		args = append(args, q.Since)
	}
	if q.Source != "" {
		sqlq += ` AND source = ?`
		args = append(args, q.Source)
	}
	if q.PolicyID != "" {
		sqlq += ` AND policy_id = ?`
		args = append(args, q.PolicyID)
	}
	if len(q.Bands) > 0 {
		sqlq += ` AND severity_band IN ('Unknown'` + strings.Repeat(", ?", len(q.Bands)) + `)`
		for _, b := range q.Bands {
			args = append(args, b)
		}
	}
	sqlq += ` ORDER BY finding_id, started_at, run_id`
	rows, err := t.query(ctx, sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Violation
	for rows.Next() {
		var id, purl, adv, band, verdict, policy, run, started, source string
		if err := rows.Scan(&id, &purl, &adv, &band, &verdict, &policy, &run, &started, &source); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].FindingID != id {
			out = append(out, Violation{FindingID: id, Purl: purl, AdvisoryID: adv, FirstSeen: started, Policies: []string{}, Sources: []string{}})
		}
		v := &out[len(out)-1]
		v.Severity, v.LastSeen, v.LastRun = band, started, run
		v.Runs++
		if verdict == "blocked" || v.Verdict == "" {
			v.Verdict = verdict
		}
		v.Policies = addSorted(v.Policies, policy)
		v.Sources = addSorted(v.Sources, source)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortViolations(out)
	return out, nil
}

func addSorted(xs []string, x string) []string {
	i, found := slices.BinarySearch(xs, x)
	if found {
		return xs
	}
	return slices.Insert(xs, i, x)
}

// sortViolations orders by last seen (newest first), then finding id.
func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int {
		if c := strings.Compare(b.LastSeen, a.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(a.FindingID, b.FindingID)
	})
}
