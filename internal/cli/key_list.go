package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

func newKeyListCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the public keys registered in the database",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyList(cmd.Context(), app)
		},
	}
}

func runKeyList(ctx context.Context, app *App) error {
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	out, err := governance.Keys(ctx, st)
	if err != nil {
		return err
	}
	return app.render(out, func(w io.Writer) error { return report.Keys(w, out, app.tableOptions()) })
}
