package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policySubmitOptions struct {
	gov       govFlags
	reviewers []string
}

func newPolicySubmitCmd(app *App) *cobra.Command {
	opts := &policySubmitOptions{}
	cmd := &cobra.Command{
		Use:   "submit P-n[@v] --reviewers NAME,… --sign-key KEY",
		Short: "Submit a draft for review (policy:author)",
		Long: `Submit the latest draft of P-n (or version v) for review by the named
principals, who must hold policy:review and may not be its author.

The submit gate: the version's source still compiles to its registered IR
without errors, and a succeeded simulation (or run) of that exact IR digest
was recorded within governance.simulation_max_age (default 24h) — run
` + "`stella policy simulate P-n@v … --record`" + ` first. Refusals exit 3 naming the guard.
Records policy.submitted (signed) and policy.review.requested.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicySubmit),
	}
	cmd.Flags().StringSliceVar(&opts.reviewers, "reviewers", nil, "principals asked to review (comma-separated)")
	cmd.MarkFlagRequired("reviewers")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicySubmit(ctx context.Context, app *App, opts *policySubmitOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Submit(ctx, act, args[0], opts.reviewers)
	})
}
