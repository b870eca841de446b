package cli

import (
	"context"
	"encoding/json"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
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
	var list []store.Snapshot
	if err := st.View(ctx, func(tx *store.Tx) error {
		list, err = tx.Snapshots(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]snapshot.Entry, 0, len(list))
	for _, sn := range list {
		e := snapshot.Entry{ID: sn.ID, Path: a.storedPath()}
		if err := json.Unmarshal(sn.Summary, &e.Stats); err != nil {
			e.Problems = "stored summary does not decode: " + err.Error()
		}
		out = append(out, e)
	}
	return out, nil
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
