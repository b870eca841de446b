package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/store"
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
	var k store.Key
	if err := st.View(ctx, func(tx *store.Tx) error {
		k, err = tx.Key(ctx, ref)
		return err
	}); err != nil {
		return err
	}
	if app.Global.Format == "" || app.Global.Format == "table" {
		_, err := io.WriteString(app.Out, k.PublicPEM)
		return err
	}
	return app.render(k, nil)
}
