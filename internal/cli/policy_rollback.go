package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policyRollbackOptions struct {
	gov      govFlags
	to       int
	incident string
}

func newPolicyRollbackCmd(app *App) *cobra.Command {
	opts := &policyRollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback P-n --to VERSION --incident REF --sign-key KEY",
		Short: "Return to an earlier active version during an incident (policy:activate)",
		Long: `Make version VERSION of P-n active again and archive the current one. Only a
version that was active before can be returned to, and only with --incident
naming the incident (refused with exit 3 otherwise, guard incident). Records
one signed policy.rollback statement.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyRollback),
	}
	f := cmd.Flags()
	f.IntVar(&opts.to, "to", 0, "the version to return to")
	f.StringVar(&opts.incident, "incident", "", "the incident this rollback answers (required)")
	cmd.MarkFlagRequired("to")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyRollback(ctx context.Context, app *App, opts *policyRollbackOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Rollback(ctx, act, args[0], opts.to, opts.incident)
	})
}
