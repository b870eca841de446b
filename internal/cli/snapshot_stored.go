package cli

import (
	"context"

	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

// snapshots are where snapshots are found: the directory --dir names (""
// for config snapshots.dir, else snapshots/ beside the database), then the
// database (run.Snapshots).
func (a *App) snapshots(dir string) run.Snapshots {
	return run.Snapshots{Dir: dir, Configured: a.configString("snapshots.dir"), DB: a.Global.DB, Tenant: a.Global.Tenant}
}

// snapshotsDir is where snapshots live by default (run.Snapshots.Root).
func (a *App) snapshotsDir() string { return a.snapshots("").Root() }

// openStoredSnapshot opens (and verifies) a snapshot imported into the
// database by id or unique prefix; NotFound when there is none.
func (a *App) openStoredSnapshot(ctx context.Context, ref string) (*snapshot.Snapshot, error) {
	return a.snapshots("").Find(ctx, nil, ref)
}
