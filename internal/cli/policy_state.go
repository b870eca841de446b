package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyState(cmd.Context(), app, opts)
		},
	}
	cmd.Flags().StringVar(&opts.window, "window", "24h", "how far back violations count (24h, 7d)")
	return cmd
}

func runPolicyState(ctx context.Context, app *App, opts *policyStateOptions) error {
	window, err := parseAge("--window", opts.window)
	if err != nil {
		return err
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := governance.TenantState(ctx, st, window)
	if err != nil {
		return err
	}
	return app.render(s, func(w io.Writer) error { return report.TenantState(w, s, app.tableOptions()) })
}
