package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

func newKeyExportCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "export NAME|KEYID",
		Short: "Print a registered public key (PEM; --format json for its metadata too)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeyExport(cmd.Context(), app, args[0])
		},
	}
}

func runKeyExport(ctx context.Context, app *App, ref string) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := governance.RegisteredKey(ctx, st, ref)
	if err != nil {
		return err
	}
	if app.Global.Format == "" || app.Global.Format == "table" {
		_, err := io.WriteString(app.Out, k.PublicPEM)
		return err
	}
	return app.render(k, nil)
}
