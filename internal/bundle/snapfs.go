package bundle

import (
	"encoding/json"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
)

// snapshotMedia is the media type of a snapshot's manifest file.
const snapshotMedia = "application/vnd.stella.snapshot+json"

// openSnapshot opens the snapshot stored under dir with the snapshot
// package, which checks that its id is the digest of its manifest content
// and every file matches the manifest, and returns it with the media type
// of each file (by path inside the snapshot).
func (b *Bundle) openSnapshot(s Snapshot) (map[string]string, error) {
	fsys := b.snapshotFS(s)
	sn, err := snapshot.Open(fsys)
	if err != nil {
		return nil, fail.New(fail.Integrity, "snapshot %s: %v", s.ID, err)
	}
	if sn.ID() != s.ID {
		return nil, fail.New(fail.Integrity, "snapshot %s: its manifest says it is %s", s.ID, sn.ID())
	}
	media := map[string]string{snapshot.ManifestFile: snapshotMedia}
	listed := map[string]bool{snapshot.ManifestFile: true}
	for _, f := range sn.Manifest.Content.Files {
		media[f.Path] = f.MediaType
		listed[f.Path] = true
	}
	for p := range fsys {
		if !listed[p] {
			return nil, fail.New(fail.Integrity, "snapshot %s: %s%s is not a file of the snapshot", s.ID, s.Dir, p)
		}
	}
	return media, nil
}

// snapshotMediaTypes reads the media types of a stored snapshot's files
// from its manifest, for the bundle entries; files it does not list get
// one by extension.
func snapshotMediaTypes(manifest []byte) map[string]string {
	media := map[string]string{snapshot.ManifestFile: snapshotMedia}
	var m snapshot.Manifest
	if json.Unmarshal(manifest, &m) == nil {
		for _, f := range m.Content.Files {
			media[f.Path] = f.MediaType
		}
	}
	return media
}

// snapshotFS holds the files of a snapshot the bundle carries, by their
// paths inside the snapshot.
func (b *Bundle) snapshotFS(s Snapshot) snapshot.MemFS {
	fsys := snapshot.MemFS{}
	for _, p := range b.under(s.Dir) {
		fsys[strings.TrimPrefix(p, s.Dir)] = b.bytes(p)
	}
	return fsys
}

// Snapshot loads the snapshot id of the verified bundle for an evaluation
// (snapshot.LoadFS over its entries), before or without importing it.
func (b *Bundle) Snapshot(id string) (*snapshot.Snapshot, error) {
	if !b.verified {
		return nil, fail.New(fail.Integrity, "bundle %s: not verified, so its snapshot %s is not read", b.Name, id)
	}
	for _, s := range b.Manifest.Snapshots {
		if s.ID != id {
			continue
		}
		sn, err := snapshot.LoadFS(b.snapshotFS(s))
		if err != nil {
			return nil, fail.New(fail.Integrity, "snapshot %s: %v", s.ID, err)
		}
		return sn, nil
	}
	return nil, fail.New(fail.NotFound, "snapshot %s is not in bundle %s", id, b.Name)
}
