package bundle

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"time"

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
	fsys := dirFS{}
	for _, p := range b.under(s.Dir) {
		fsys[strings.TrimPrefix(p, s.Dir)] = b.bytes(p)
	}
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

// dirFS is a read-only fs.FS of whole files in memory, enough for
// snapshot.Open, which reads files by name only.
type dirFS map[string][]byte

func (d dirFS) Open(name string) (fs.File, error) {
	data, ok := d[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(data), name: path.Base(name), size: int64(len(data))}, nil
}

// ReadFile implements fs.ReadFileFS.
func (d dirFS) ReadFile(name string) ([]byte, error) {
	data, ok := d[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), data...), nil
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }
