package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
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

type trustLsOut struct {
	File     string          `json:"file"`
	Settings settingsOut     `json:"settings"`
	Keys     []trustEntryOut `json:"keys"`
}

type settingsOut struct {
	Quorum           int    `json:"quorum"`
	ExceptionMaxAge  string `json:"exceptionMaxAge"`
	SimulationMaxAge string `json:"simulationMaxAge"`
}

func runTrustLs(app *App, opts *trustLsOptions) error {
	trust, err := app.loadTrust(opts.gov.trust, false)
	if err != nil {
		return err
	}
	s := trust.Settings
	out := trustLsOut{File: trust.Path, Keys: []trustEntryOut{},
		Settings: settingsOut{Quorum: s.Quorum, ExceptionMaxAge: governance.FormatAge(s.ExceptionMaxAge), SimulationMaxAge: governance.FormatAge(s.SimulationMaxAge)}}
	for i := range trust.Entries {
		out.Keys = append(out.Keys, entryOut(&trust.Entries[i]))
	}
	return app.render(out, func(w io.Writer) error {
		fmt.Fprintf(w, "%s: quorum %d, exceptions at most %s, simulations at most %s old at submission\n",
			out.File, s.Quorum, out.Settings.ExceptionMaxAge, out.Settings.SimulationMaxAge)
		t := app.newTable(w, "PRINCIPAL", "KEY ID", "TYPE", "SCOPES")
		for _, k := range out.Keys {
			t.Append(k.Principal, k.KeyID, k.Type, strings.Join(k.Scopes, ","))
		}
		return t.Render()
	})
}
