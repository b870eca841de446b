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
	return app.renderText(k, func(w io.Writer) error {
		_, err := io.WriteString(w, k.PublicPEM)
		return err
	})
}
