package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
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
	return app.render(out, func(w io.Writer) error {
		fmt.Fprintf(w, "%s: quorum %d, exceptions at most %s, simulations at most %s old at submission\n",
			out.File, out.Settings.Quorum, out.Settings.ExceptionMaxAge, out.Settings.SimulationMaxAge)
		t := app.newTable(w, "PRINCIPAL", "KEY ID", "TYPE", "SCOPES")
		for _, k := range out.Keys {
			t.Append(k.Principal, k.KeyID, k.Type, strings.Join(k.Scopes, ","))
		}
		return t.Render()
	})
}
