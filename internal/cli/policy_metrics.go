package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/store"
)

func newPolicyMetricsCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics",
		Short: "Counters and histograms from run history, in OpenMetrics text",
		Long: `Print metrics computed from the tenant's recorded history in the OpenMetrics
text format, for a node-exporter textfile collector:

  policy_runs_total{status}            runs by status (succeeded, failed)
  policy_run_duration_seconds          histogram of run durations
  policy_inputs_unfrozen_total         runs refused for loose inputs (inputs_unfrozen)
  policy_shadow_runs_total             shadow runs
  policy_findings_total{verdict}       findings of succeeded runs by verdict

The output is written atomically with --output, e.g.
  stella policy metrics --output /var/lib/node_exporter/stella.prom`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyMetrics(cmd.Context(), app)
		},
	}
}

// durationBuckets are the histogram's upper bounds, in seconds.
var durationBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func runPolicyMetrics(ctx context.Context, app *App) error {
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var runs []*store.Run
	var unfrozen int
	byStatus := map[string]int{store.StatusSucceeded: 0, store.StatusFailed: 0}
	byVerdict := map[string]int{}
	buckets := make([]int, len(durationBuckets))
	var sum float64
	shadow := 0
	err = st.View(ctx, func(tx *store.Tx) error {
		if runs, err = tx.Runs(ctx, store.RunFilter{}); err != nil {
			return err
		}
		ev, err := tx.Events(ctx, store.EventFilter{Type: eventInputsUnfrozen})
		if err != nil {
			return err
		}
		unfrozen = len(ev)
		for _, r := range runs {
			byStatus[r.Status]++
			if r.Shadow {
				shadow++
			}
			secs := float64(r.DurationMS) / 1000
			sum += secs
			for i, b := range durationBuckets {
				if secs <= b {
					buckets[i]++
				}
			}
			if r.Status != store.StatusSucceeded {
				continue
			}
			full, err := tx.Run(ctx, r.RunID)
			if err != nil {
				return err
			}
			var rec store.RunRecord
			if err := json.Unmarshal(full.Record, &rec); err != nil {
				return err
			}
			v := rec.Stats.ByVerdict
			byVerdict["passed"] += v.Passed
			byVerdict["warned"] += v.Warned
			byVerdict["blocked"] += v.Blocked
			byVerdict["quieted"] += v.Quieted
			byVerdict["ignored"] += v.Ignored
		}
		return nil
	})
	if err != nil {
		return err
	}
	w := app.Out
	tenant := strconv.Quote(st.Tenant())
	fmt.Fprintf(w, "# TYPE policy_runs counter\n# HELP policy_runs Policy runs recorded, by status.\n")
	for _, k := range sortedKeys(byStatus) {
		fmt.Fprintf(w, "policy_runs_total{status=%q,tenant=%s} %d\n", k, tenant, byStatus[k])
	}
	fmt.Fprintf(w, "# TYPE policy_run_duration_seconds histogram\n# UNIT policy_run_duration_seconds seconds\n# HELP policy_run_duration_seconds Wall-clock duration of recorded runs.\n")
	for i, b := range durationBuckets {
		fmt.Fprintf(w, "policy_run_duration_seconds_bucket{tenant=%s,le=%q} %d\n", tenant, strconv.FormatFloat(b, 'f', -1, 64), buckets[i])
	}
	fmt.Fprintf(w, "policy_run_duration_seconds_bucket{tenant=%s,le=\"+Inf\"} %d\n", tenant, len(runs))
	fmt.Fprintf(w, "policy_run_duration_seconds_sum{tenant=%s} %s\n", tenant, strconv.FormatFloat(sum, 'f', 3, 64))
	fmt.Fprintf(w, "policy_run_duration_seconds_count{tenant=%s} %d\n", tenant, len(runs))
	fmt.Fprintf(w, "# TYPE policy_inputs_unfrozen counter\n# HELP policy_inputs_unfrozen Runs refused because their inputs were not frozen.\n")
	fmt.Fprintf(w, "policy_inputs_unfrozen_total{tenant=%s} %d\n", tenant, unfrozen)
	fmt.Fprintf(w, "# TYPE policy_shadow_runs counter\n# HELP policy_shadow_runs Shadow runs recorded.\n")
	fmt.Fprintf(w, "policy_shadow_runs_total{tenant=%s} %d\n", tenant, shadow)
	fmt.Fprintf(w, "# TYPE policy_findings counter\n# HELP policy_findings Findings of succeeded runs, by verdict.\n")
	for _, v := range []string{"passed", "warned", "blocked", "quieted", "ignored"} {
		fmt.Fprintf(w, "policy_findings_total{tenant=%s,verdict=%q} %d\n", tenant, v, byVerdict[v])
	}
	_, err = fmt.Fprintln(w, "# EOF")
	return err
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
