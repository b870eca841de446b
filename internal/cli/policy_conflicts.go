package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyConflictsOptions struct {
	active bool
}

func newPolicyConflictsCmd(app *App) *cobra.Command {
	opts := &policyConflictsOptions{}
	cmd := &cobra.Command{
		Use:   "conflicts [POLICY…] [--active]",
		Short: "Report conflicts across policies: scope overlaps, contradicting thresholds, time windows, priorities",
		Long: `Compare policies pairwise, from their IR and metadata only, and report typed
conflicts — SCOPE_OVERLAP, THRESHOLD_CONTRADICTION, TEMPORAL_CONFLICT,
PRIORITY_OVERRIDE — each BLOCKING or WARNING, with an explanation and a
recommended action (docs/governance.md "Conflicts across policies").

POLICY is a .stella file or a registered P-n[@version]. --active adds the
tenant's active policies (a POLICY naming one of them replaces its active
version); with no POLICY, --active is implied. policy activate refuses a
version that would have a BLOCKING conflict with an active policy.

Exit 0 (the report is the output), 2 invalid policy, 4 unknown policy.`,
		RunE: runE(app, opts, runPolicyConflicts),
	}
	cmd.Flags().BoolVar(&opts.active, "active", false, "include the tenant's active policies")
	return cmd
}

func runPolicyConflicts(ctx context.Context, app *App, opts *policyConflictsOptions, refs []string) error {
	ms, err := app.setMembers(ctx, refs, opts.active || len(refs) == 0)
	if err != nil {
		return err
	}
	rep, err := governance.Conflicts(ms)
	if err != nil {
		return err
	}
	return app.render(rep, func(w io.Writer) error { return report.Conflicts(w, rep, app.tableOptions()) })
}
