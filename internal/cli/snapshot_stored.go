package cli

import (
	"context"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Snapshots imported into the database, for snapshot ls and show (which
// also read snapshot directories).

// storedPath is how ls and show name the place of a stored snapshot.
func (a *App) storedPath() string { return "db:" + a.Global.DB }

// storedSnapshotEntries lists the snapshots imported into the database, by
// id; none when there is no database.
func (a *App) storedSnapshotEntries(ctx context.Context) ([]snapshot.Entry, error) {
	if !fileExists(a.Global.DB) {
		return nil, nil
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return snapshot.Stored(ctx, st, a.storedPath())
}

// openStoredSnapshot opens (and verifies) a snapshot imported into the
// database by id or unique prefix; NotFound when there is no database.
func (a *App) openStoredSnapshot(ctx context.Context, ref string) (*snapshot.Snapshot, error) {
	if !fileExists(a.Global.DB) {
		return nil, fail.New(fail.NotFound, "snapshot %s not found", ref)
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return run.StoredSnapshot(ctx, st, ref)
}
