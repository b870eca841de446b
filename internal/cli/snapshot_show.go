package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/snapshot"
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
	ref := args[0]
	root := opts.dir
	if root == "" {
		root = app.snapshotsDir()
	}
	var s *snapshot.Snapshot
	dir, err := snapshot.Resolve(root, ref)
	if fail.Is(err, fail.NotFound) {
		// Not a directory: perhaps a snapshot imported into the database.
		if s, err = app.openStoredSnapshot(ctx, ref); err != nil {
			return err
		}
		dir = app.storedPath()
	} else if err != nil {
		return err
	} else if s, err = snapshot.OpenDir(dir); err != nil {
		return err
	}
	out, err := s.Show(dir)
	if err != nil {
		return err
	}
	return app.render(out, func(w io.Writer) error { return report.SnapshotShow(w, out, app.tableOptions()) })
}
