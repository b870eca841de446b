package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

func newPolicyRunsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "Inspect recorded runs"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show RUN",
		Short: "Show one recorded run: its record, timing and attestation",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyRunsShow(cmd.Context(), app, args[0])
		},
	})
	return cmd
}

func runPolicyRunsShow(ctx context.Context, app *App, runID string) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := run.Show(ctx, st, runID)
	if err != nil {
		return err
	}
	return app.render(r.Run, func(w io.Writer) error { return report.StoredRun(w, r, app.tableOptions()) })
}
