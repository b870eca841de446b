package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/store"
)

// Snapshots in the database: `stella snapshot import` stores a snapshot
// directory's files as content-addressed blobs; `snapshot ls` lists them.

// Imported is what `stella snapshot import` reports.
type Imported struct {
	ID      string `json:"id"`
	Created bool   `json:"created"`
	Files   int    `json:"files"`
	Bytes   int64  `json:"bytes"`
	Stats   Stats  `json:"stats"`
	Tenant  string `json:"-"` // the store's
}

// Import verifies the snapshot in dir (its id, every file, and that the
// advisory index covers advisories.json exactly: runs read advisories
// through it, docs/inputs.md "Advisory index") — each file read and hashed
// once —, then opens the store and
// stores it in one transaction with a snapshot.imported audit event by
// actor. An invalid snapshot leaves the store unopened. Importing it again
// changes nothing (Created false).
func Import(ctx context.Context, dir string, open func() (*store.Store, error), actor string) (*Imported, error) {
	snap, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	if err := snap.Index.Verify(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", dir, err)
	}
	files, err := snap.Files()
	if err != nil {
		return nil, err
	}
	summary, err := canon.Marshal(snap.Manifest.Content.Stats)
	if err != nil {
		return nil, err
	}
	src, err := filepath.Abs(dir)
	if err != nil {
		src = dir
	}
	st, err := open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := &Imported{ID: snap.ID(), Files: len(files), Stats: snap.Manifest.Content.Stats, Tenant: st.Tenant()}
	sf := make([]store.File, len(files))
	for i, f := range files {
		sf[i] = store.File{Path: f.Path, MediaType: f.MediaType, Data: f.Data}
		out.Bytes += int64(len(f.Data))
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		if out.Created, err = tx.PutSnapshot(ctx, snap.ID(), src, summary, sf); err != nil || !out.Created {
			return err
		}
		_, err := tx.Append(ctx, "snapshot.imported", actor, snap.ID(), map[string]any{"snapshotId": snap.ID(), "source": src, "files": len(sf)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stored lists the snapshots imported into the database, by id, each with
// path as its place.
func Stored(ctx context.Context, st *store.Store, path string) ([]Entry, error) {
	var list []store.Snapshot
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		list, err = tx.Snapshots(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(list))
	for _, sn := range list {
		e := Entry{ID: sn.ID, Path: path}
		if err := json.Unmarshal(sn.Summary, &e.Stats); err != nil {
			e.Problems = "stored summary does not decode: " + err.Error()
		}
		out = append(out, e)
	}
	return out, nil
}
