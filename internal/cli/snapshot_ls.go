package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/snapshot"
)

type snapshotLsOptions struct {
	dir string
}

func newSnapshotLsCmd(app *App) *cobra.Command {
	opts := &snapshotLsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the snapshots in the snapshots directory",
		Long: `Lists the snapshot directories under the snapshots directory (snapshots/
beside the database, config snapshots.dir, or --dir), sorted by id, then the
snapshots imported into the database (path db:FILE). Only manifests and
stored summaries are read; "stella snapshot show ID" verifies a snapshot.`,
		Args: noArgs,
		RunE: runE(app, opts, runSnapshotLs),
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "", "directory of snapshots (default: snapshots/ beside the database)")
	return cmd
}

func runSnapshotLs(ctx context.Context, app *App, opts *snapshotLsOptions, _ []string) error {
	root := opts.dir
	if root == "" {
		root = app.snapshotsDir() // may not exist yet: no snapshots
	} else if !isDir(root) {
		return fail.New(fail.NotFound, "--dir %s: no such directory", root)
	}
	es, err := snapshot.List(root)
	if err != nil {
		return err
	}
	stored, err := app.storedSnapshotEntries(ctx)
	if err != nil {
		return err
	}
	es = append(es, stored...)
	if es == nil {
		es = []snapshot.Entry{}
	}
	return app.render(es, func(w io.Writer) error { return report.SnapshotList(w, es, root, app.tableOptions()) })
}
