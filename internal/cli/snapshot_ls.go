package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
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
	s := app.snapshots(opts.dir)
	es, err := s.List(ctx)
	if err != nil {
		return err
	}
	return app.render(es, func(w io.Writer) error { return report.SnapshotList(w, es, s.Root(), app.tableOptions()) })
}

// snapshots are where snapshots are found: the directory --dir names (""
// for config snapshots.dir, else snapshots/ beside the database), then the
// database (run.Snapshots).
func (a *App) snapshots(dir string) run.Snapshots {
	return run.Snapshots{Dir: dir, Configured: a.configString("snapshots.dir"), DB: a.Global.DB, Tenant: a.Global.Tenant}
}
