package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
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

func runPolicyMetrics(ctx context.Context, app *App) error {
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := run.ReadMetrics(ctx, st)
	if err != nil {
		return err
	}
	return report.OpenMetrics(app.Out, m)
}
