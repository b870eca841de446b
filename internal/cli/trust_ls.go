package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
)

type trustLsOptions struct{ gov govFlags }

func newTrustLsCmd(app *App) *cobra.Command {
	opts := &trustLsOptions{}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the trusted keys, their principals and scopes, and the governance settings",
		Args:    noArgs,
		RunE:    runE(app, opts, runTrustLs),
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runTrustLs(ctx context.Context, app *App, opts *trustLsOptions, _ []string) error {
	trust, err := app.site().LoadTrust(ctx, opts.gov.trust, false)
	if err != nil {
		return err
	}
	out := trust.Listing()
	return app.render(out, func(w io.Writer) error { return report.TrustList(w, out, app.tableOptions()) })
}
