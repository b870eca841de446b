package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type exceptionShowOptions struct {
	gov govFlags
}

func newExceptionShowCmd(app *App) *cobra.Command {
	opts := &exceptionShowOptions{}
	cmd := &cobra.Command{
		Use:   "show EX-n",
		Short: "Show an exception's terms and its signed history",
		Args:  exactArgs(1),
		RunE:  runE(app, opts, runExceptionShow),
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runExceptionShow(ctx context.Context, app *App, opts *exceptionShowOptions, args []string) error {
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) (*governance.ExceptionView, error) {
		return reg.ShowException(ctx, args[0])
	}, report.Exception)
}
