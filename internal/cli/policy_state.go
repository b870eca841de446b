package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type policyStateOptions struct {
	window string
}

func newPolicyStateCmd(app *App) *cobra.Command {
	opts := &policyStateOptions{}
	cmd := &cobra.Command{
		Use:   "state [--window 24h]",
		Short: "Summarize the tenant's policies: active, pending review, conflicts, violations, lessons",
		Long: `Print the tenant's policy state (docs/runs.md "Violations and state"):
registered policies, active versions, drafts, versions pending review
(submitted or approved, not active), conflicts among the active policies
by severity, violations (finding identities blocked or warned) in runs
started within --window, and lessons pending. --format json for dashboards.`,
		Args: exactArgs(0),
		RunE: runE(app, opts, runPolicyState),
	}
	cmd.Flags().StringVar(&opts.window, "window", "24h", "how far back violations count (24h, 7d)")
	return cmd
}

func runPolicyState(ctx context.Context, app *App, opts *policyStateOptions, _ []string) error {
	window, err := governance.StateWindow(opts.window)
	if err != nil {
		return err
	}
	return show(ctx, app, func(st *store.Store) (*governance.State, error) { return governance.TenantState(ctx, st, window) }, report.TenantState)
}
