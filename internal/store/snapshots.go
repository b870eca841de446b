package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Snapshot is a stored snapshot: its files (content-addressed blobs) and a
// summary that the snapshot package computed at import.
type Snapshot struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	ImportedAt string          `json:"importedAt"`
	Summary    json.RawMessage `json:"summary"`
	Files      []SnapshotFile  `json:"files"` // sorted by path
}

// SnapshotFile is one file of a stored snapshot.
type SnapshotFile struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// File is a file to store with a snapshot.
type File struct {
	Path      string // slash-separated and relative (fs.ValidPath)
	MediaType string
	Data      []byte
}

// PutSnapshot stores a snapshot with its files. Importing a snapshot that is
// already stored is a no-op that reports created=false; a stored snapshot
// with the same id but different files is an integrity error.
func (t *Tx) PutSnapshot(ctx context.Context, id, source string, summary json.RawMessage, files []File) (created bool, err error) {
	if id == "" {
		return false, fail.New(fail.Invalid, "snapshot without an id")
	}
	if len(summary) == 0 {
		summary = json.RawMessage("{}")
	}
	seen := make(map[string]bool, len(files))
	want := make([]SnapshotFile, 0, len(files))
	for _, f := range files {
		if !fs.ValidPath(f.Path) || f.Path == "." {
			return false, fail.New(fail.Invalid, "snapshot %s: invalid file path %q", id, f.Path)
		}
		if seen[f.Path] {
			return false, fail.New(fail.Invalid, "snapshot %s: duplicate file %q", id, f.Path)
		}
		seen[f.Path] = true
		want = append(want, SnapshotFile{Path: f.Path, Digest: canon.Digest(f.Data), Size: int64(len(f.Data))})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Path < want[j].Path })

	existing, err := t.Snapshot(ctx, id)
	if err == nil {
		if !sameFiles(existing.Files, want) {
			return false, fail.New(fail.Integrity, "snapshot %s is already stored with different content", id)
		}
		return false, nil
	}
	if !fail.Is(err, fail.NotFound) {
		return false, err
	}
	if _, err := t.exec(ctx, `INSERT INTO snapshots (tenant, snapshot_id, summary, source, imported_at) VALUES (?, ?, ?, ?, ?)`,
		t.tenant, id, string(summary), source, timeText(t.s.Now())); err != nil {
		return false, err
	}
	for _, f := range files {
		mt := f.MediaType
		if mt == "" {
			mt = MediaOctets
		}
		d, err := t.PutBlob(ctx, mt, f.Data)
		if err != nil {
			return false, err
		}
		if _, err := t.exec(ctx, `INSERT INTO snapshot_files (tenant, snapshot_id, path, digest) VALUES (?, ?, ?, ?)`,
			t.tenant, id, f.Path, d); err != nil {
			return false, err
		}
	}
	return true, nil
}

func sameFiles(a, b []SnapshotFile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].Digest != b[i].Digest {
			return false
		}
	}
	return true
}

// ResolveSnapshot returns the full id of the stored snapshot that ref names:
// the full id, or a unique prefix of its hex (with or without "sha256:") of
// at least 8 characters.
func (t *Tx) ResolveSnapshot(ctx context.Context, ref string) (string, error) {
	hex := strings.TrimPrefix(ref, canon.Prefix)
	if len(hex) < 8 {
		var n int
		if err := t.queryRow(ctx, `SELECT count(*) FROM snapshots WHERE tenant = ? AND snapshot_id = ?`, t.tenant, ref).Scan(&n); err != nil {
			return "", err
		}
		if n == 1 {
			return ref, nil
		}
		return "", fail.New(fail.NotFound, "snapshot %q not found (give the id or at least 8 hex characters of it)", ref)
	}
	rows, err := t.query(ctx, `SELECT snapshot_id FROM snapshots WHERE tenant = ? AND (snapshot_id = ? OR snapshot_id LIKE ? ESCAPE '\') ORDER BY snapshot_id LIMIT 2`,
		t.tenant, ref, canon.Prefix+likeEscape(hex)+"%")
	if err != nil {
		return "", err
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fail.New(fail.NotFound, "snapshot %s not found in %s (tenant %s); import it with `stella snapshot import DIR`", ref, t.s.path, t.tenant)
	case 1:
		return ids[0], nil
	}
	return "", fail.New(fail.Invalid, "snapshot prefix %s is ambiguous: %s, %s…", ref, ids[0], ids[1])
}

// Snapshot returns the stored snapshot with exactly this id.
func (t *Tx) Snapshot(ctx context.Context, id string) (*Snapshot, error) {
	var sn Snapshot
	var summary string
	err := t.queryRow(ctx, `SELECT snapshot_id, source, imported_at, summary FROM snapshots WHERE tenant = ? AND snapshot_id = ?`,
		t.tenant, id).Scan(&sn.ID, &sn.Source, &sn.ImportedAt, &summary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "snapshot %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	sn.Summary = json.RawMessage(summary)
	rows, err := t.query(ctx, `SELECT f.path, f.digest, b.size FROM snapshot_files f
		JOIN blobs b ON b.tenant = f.tenant AND b.digest = f.digest
		WHERE f.tenant = ? AND f.snapshot_id = ? ORDER BY f.path`, t.tenant, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f SnapshotFile
		if err := rows.Scan(&f.Path, &f.Digest, &f.Size); err != nil {
			return nil, err
		}
		sn.Files = append(sn.Files, f)
	}
	return &sn, rows.Err()
}

// Snapshots lists the stored snapshots, newest import first, without files.
func (t *Tx) Snapshots(ctx context.Context) ([]Snapshot, error) {
	rows, err := t.query(ctx, `SELECT snapshot_id, source, imported_at, summary FROM snapshots WHERE tenant = ?
		ORDER BY imported_at DESC, snapshot_id`, t.tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var sn Snapshot
		var summary string
		if err := rows.Scan(&sn.ID, &sn.Source, &sn.ImportedAt, &summary); err != nil {
			return nil, err
		}
		sn.Summary = json.RawMessage(summary)
		out = append(out, sn)
	}
	return out, rows.Err()
}

// SnapshotFS returns the files of a stored snapshot as a read-only file
// system, so the snapshot package can load it exactly as it loads a
// directory. Every file is checked against its digest as it is read.
func (t *Tx) SnapshotFS(ctx context.Context, id string) (fs.FS, error) {
	sn, err := t.Snapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	m := memFS{files: make(map[string][]byte, len(sn.Files))}
	for _, f := range sn.Files {
		data, err := t.Blob(ctx, f.Digest)
		if err != nil {
			return nil, fail.Wrap(fail.KindOf(err), errors.New("snapshot "+id+": "+f.Path+": "+err.Error()))
		}
		m.files[f.Path] = data
	}
	return m, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	return scanRows(rows, func(s *string) []any { return []any{s} })
}

// scanRows reads every row into a T; dest names the fields each column
// goes into.
func scanRows[T any](rows *sql.Rows, dest func(*T) []any) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(dest(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// memFS is a read-only fs.FS over whole files held in memory; directories
// are implied by the file paths.
type memFS struct{ files map[string][]byte }

func (m memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := m.files[name]; ok {
		return &memFile{info: memInfo{name: path.Base(name), size: int64(len(data))}, r: bytes.NewReader(data)}, nil
	}
	entries := m.dirEntries(name)
	if entries == nil && name != "." {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memDir{info: memInfo{name: path.Base(name), dir: true}, entries: entries}, nil
}

// ReadFile implements fs.ReadFileFS without copying through a reader.
func (m memFS) ReadFile(name string) ([]byte, error) {
	data, ok := m.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), data...), nil
}

// dirEntries lists the direct children of dir, sorted; nil if there are none.
func (m memFS) dirEntries(dir string) []fs.DirEntry {
	prefix := dir + "/"
	if dir == "." {
		prefix = ""
	}
	seen := map[string]fs.DirEntry{}
	for p, data := range m.files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if child, _, isDir := strings.Cut(rest, "/"); isDir {
			seen[child] = fs.FileInfoToDirEntry(memInfo{name: child, dir: true})
		} else {
			seen[rest] = fs.FileInfoToDirEntry(memInfo{name: rest, size: int64(len(data))})
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]fs.DirEntry, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

type memFile struct {
	info memInfo
	r    *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	info    memInfo
	entries []fs.DirEntry
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}
