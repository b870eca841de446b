package snapshot

import (
	"bytes"
	"io/fs"
	"path"
	"time"
)

// MemFS is a snapshot's files held in memory, by path inside the
// snapshot: a read-only fs.FS, enough for Open and LoadFS, which read
// files by name only (bundles and evidence archives hold snapshots so).
type MemFS map[string][]byte

// Open implements fs.FS.
func (d MemFS) Open(name string) (fs.File, error) {
	data, ok := d[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(data), name: path.Base(name), size: int64(len(data))}, nil
}

// ReadFile implements fs.ReadFileFS.
func (d MemFS) ReadFile(name string) ([]byte, error) {
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
