package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/store"
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
	var keys []store.Key
	if err := st.View(ctx, func(tx *store.Tx) error {
		keys, err = tx.Keys(ctx)
		return err
	}); err != nil {
		return err
	}
	out := make([]keyOut, len(keys))
	for i, k := range keys {
		out[i] = keyOut{KeyID: k.KeyID, Name: k.Name, Type: k.Type, CreatedAt: k.CreatedAt}
	}
	return app.render(out, func(w io.Writer) error {
		t := app.newTable(w, "NAME", "TYPE", "KEY ID", "CREATED")
		for _, k := range out {
			t.Append(k.Name, k.Type, k.KeyID, k.CreatedAt)
		}
		return t.Render()
	})
}
