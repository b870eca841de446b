package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type exceptionRevokeOptions struct {
	gov    govFlags
	reason string
}

func newExceptionRevokeCmd(app *App) *cobra.Command {
	opts := &exceptionRevokeOptions{}
	cmd := &cobra.Command{
		Use:   "revoke EX-n --reason TEXT --sign-key KEY",
		Short: "End an exception before its expiry (exceptions:approve, or its requester)",
		Args:  exactArgs(1),
		RunE:  runE(app, opts, runExceptionRevoke),
	}
	cmd.Flags().StringVar(&opts.reason, "reason", "", "why it ends (required)")
	cmd.MarkFlagRequired("reason")
	opts.gov.addFlags(cmd)
	return cmd
}

func runExceptionRevoke(ctx context.Context, app *App, opts *exceptionRevokeOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.RevokeException(ctx, act, args[0], opts.reason)
	})
}
