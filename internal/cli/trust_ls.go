package cli

import (
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
		RunE: func(*cobra.Command, []string) error {
			return runTrustLs(app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runTrustLs(app *App, opts *trustLsOptions) error {
	trust, err := app.loadTrust(opts.gov.trust, false)
	if err != nil {
		return err
	}
	out := trust.Listing()
	return app.render(out, func(w io.Writer) error { return report.TrustList(w, out, app.tableOptions()) })
}
