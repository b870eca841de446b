package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policyReviewOptions struct {
	gov            govFlags
	comment        string
	requestChanges bool
}

func newPolicyReviewCmd(app *App) *cobra.Command {
	opts := &policyReviewOptions{}
	cmd := &cobra.Command{
		Use:   "review P-n[@v] --comment TEXT [--request-changes] --sign-key KEY",
		Short: "Comment on a version, or send it back to draft (policy:review)",
		Long: `Record a signed review comment on the latest version of P-n (or version v).
With --request-changes the comment is the change asked for: a submitted or
approved (not yet active) version returns to draft and its submission round
closes (the statement names it): the round's approvals stop counting, and
a new submission — even of the same IR — needs approvals of its own.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyReview),
	}
	f := cmd.Flags()
	f.StringVar(&opts.comment, "comment", "", "the review comment")
	f.BoolVar(&opts.requestChanges, "request-changes", false, "send the version back to draft")
	cmd.MarkFlagRequired("comment")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyReview(ctx context.Context, app *App, opts *policyReviewOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Review(ctx, act, args[0], opts.comment, opts.requestChanges)
	})
}
