package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

func newStoreCheckCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the database: SQLite integrity, audit chain, content addresses, run digests",
		Long: `Run SQLite's integrity_check and foreign_key_check, recompute the tenant's
audit hash chain, every blob's and explain trace's content address, every
run's findings and explains digests, and every run's record (the attested
predicate) against its row, the audit event that recorded it and its stored
attestation, and every governance row (exceptions) against its signed
statements. Exit 0 when all hold, 6 otherwise (each problem is listed).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStoreCheck(cmd.Context(), app)
		},
	}
}

func runStoreCheck(ctx context.Context, app *App) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := governance.CheckStore(ctx, st)
	if err != nil {
		return err
	}
	if err := app.render(rep, func(w io.Writer) error { return report.StoreChecked(w, rep, app.tableOptions()) }); err != nil {
		return err
	}
	return report.StoreCheckEnd(app.info(), rep)
}
