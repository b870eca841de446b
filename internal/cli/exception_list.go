package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type exceptionListOptions struct {
	gov    govFlags
	filter governance.ExceptionFilter
}

func newExceptionListCmd(app *App) *cobra.Command {
	opts := &exceptionListOptions{}
	cmd := &cobra.Command{
		Use:     "list [--status requested|approved|expired|revoked] [--policy P-n]",
		Aliases: []string{"ls"},
		Short:   "List exceptions",
		Long: `List exceptions by number. An approved exception whose timebox has ended
shows as expired (and its expiry is recorded in the audit log once).`,
		Args: noArgs,
		RunE: runE(app, opts, runExceptionList),
	}
	cmd.Flags().StringVar(&opts.filter.State, "status", "", "only exceptions in this state")
	cmd.Flags().StringVar(&opts.filter.PolicyID, "policy", "", "only exceptions that apply to this policy")
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runExceptionList(ctx context.Context, app *App, opts *exceptionListOptions, _ []string) error {
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) ([]governance.ExceptionView, error) {
		return reg.ListExceptions(ctx, opts.filter)
	}, report.Exceptions)
}
