package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/stella-policy/stella/internal/run"
)

// OpenMetrics writes m in the OpenMetrics text format, for a
// node-exporter textfile collector (docs/runs.md "Metrics").
func OpenMetrics(w io.Writer, m *run.Metrics) error {
	tenant := strconv.Quote(m.Tenant)
	fmt.Fprintf(w, "# TYPE policy_runs counter\n# HELP policy_runs Policy runs recorded, by status.\n")
	statuses := make([]string, 0, len(m.ByStatus))
	for k := range m.ByStatus {
		statuses = append(statuses, k)
	}
	slices.Sort(statuses)
	for _, k := range statuses {
		fmt.Fprintf(w, "policy_runs_total{status=%q,tenant=%s} %d\n", k, tenant, m.ByStatus[k])
	}
	fmt.Fprintf(w, "# TYPE policy_run_duration_seconds histogram\n# UNIT policy_run_duration_seconds seconds\n# HELP policy_run_duration_seconds Wall-clock duration of recorded runs.\n")
	for i, b := range run.DurationBuckets {
		fmt.Fprintf(w, "policy_run_duration_seconds_bucket{tenant=%s,le=%q} %d\n", tenant, strconv.FormatFloat(b, 'f', -1, 64), m.Buckets[i])
	}
	fmt.Fprintf(w, "policy_run_duration_seconds_bucket{tenant=%s,le=\"+Inf\"} %d\n", tenant, m.Runs)
	fmt.Fprintf(w, "policy_run_duration_seconds_sum{tenant=%s} %s\n", tenant, strconv.FormatFloat(m.SumSeconds, 'f', 3, 64))
	fmt.Fprintf(w, "policy_run_duration_seconds_count{tenant=%s} %d\n", tenant, m.Runs)
	fmt.Fprintf(w, "# TYPE policy_inputs_unfrozen counter\n# HELP policy_inputs_unfrozen Runs refused because their inputs were not frozen.\n")
	fmt.Fprintf(w, "policy_inputs_unfrozen_total{tenant=%s} %d\n", tenant, m.Unfrozen)
	fmt.Fprintf(w, "# TYPE policy_shadow_runs counter\n# HELP policy_shadow_runs Shadow runs recorded.\n")
	fmt.Fprintf(w, "policy_shadow_runs_total{tenant=%s} %d\n", tenant, m.Shadow)
	fmt.Fprintf(w, "# TYPE policy_findings counter\n# HELP policy_findings Findings of succeeded runs, by verdict.\n")
	for _, v := range []string{"passed", "warned", "blocked", "quieted", "ignored"} {
		fmt.Fprintf(w, "policy_findings_total{tenant=%s,verdict=%q} %d\n", tenant, v, m.ByVerdict[v])
	}
	_, err := fmt.Fprintln(w, "# EOF")
	return err
}
