package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type exceptionApproveOptions struct {
	gov  govFlags
	note string
}

func newExceptionApproveCmd(app *App) *cobra.Command {
	opts := &exceptionApproveOptions{}
	cmd := &cobra.Command{
		Use:   "approve EX-n [--note TEXT] --sign-key KEY",
		Short: "Approve a requested exception (exceptions:approve)",
		Long: `Approve a requested exception with a signed statement over its terms. The
requester cannot approve their own request (separation of duties), and an
exception whose timebox has ended cannot be approved; both exit 3.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runExceptionApprove),
	}
	cmd.Flags().StringVar(&opts.note, "note", "", "why it is accepted")
	opts.gov.addFlags(cmd)
	return cmd
}

func runExceptionApprove(ctx context.Context, app *App, opts *exceptionApproveOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.ApproveException(ctx, act, args[0], opts.note)
	})
}
