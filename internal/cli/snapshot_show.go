package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
)

type snapshotShowOptions struct {
	dir string
}

func newSnapshotShowCmd(app *App) *cobra.Command {
	opts := &snapshotShowOptions{}
	cmd := &cobra.Command{
		Use:   "show ID|DIR",
		Short: "Verify a snapshot and show what it holds",
		Long: `Verifies a snapshot (its id against its manifest, every file against its
digest; exit 6 on a mismatch) and shows its inputs, counts per kind and
ecosystem, the records skipped when it was created, and the components that
have no purl and so cannot match advisories.

ID is a snapshot id or a unique prefix of at least 8 hex digits of one in the
snapshots directory or imported into the database; DIR is a snapshot
directory.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runSnapshotShow),
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "", "directory of snapshots (default: snapshots/ beside the database)")
	return cmd
}

func runSnapshotShow(ctx context.Context, app *App, opts *snapshotShowOptions, args []string) error {
	out, err := app.snapshots(opts.dir).Show(ctx, args[0])
	if err != nil {
		return err
	}
	return app.render(out, func(w io.Writer) error { return report.SnapshotShow(w, out, app.tableOptions()) })
}
