package feeds

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/stella-policy/stella/internal/atomicfile"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
)

// MetaSchema names the metadata format of a cached feed.
const MetaSchema = "stella.feed/v1"

// Meta describes the copy of a feed in force (docs/feeds.md, "Cache layout").
// Writing it is the commit point of a download.
type Meta struct {
	Schema       string `json:"schema"`
	Name         string `json:"name"`
	Kind         Kind   `json:"kind"`
	URL          string `json:"url"`
	Blob         string `json:"blob"`   // blobs/sha256/<hex>, relative to the cache root
	Digest       string `json:"digest"` // sha256 of the bytes as downloaded
	Size         int64  `json:"size"`
	MediaType    string `json:"mediaType"`
	Records      int    `json:"records"`
	Newest       string `json:"newest,omitempty"` // the newest record's modified time, RFC 3339 UTC
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	FetchedAt    string `json:"fetchedAt"` // when these bytes were downloaded, RFC 3339 UTC
	CheckedAt    string `json:"checkedAt"` // when the source last confirmed them (a 200 or a 304)
}

// Cache is a feed cache directory.
type Cache struct {
	Root string
}

// Open returns the cache at root; nothing is created until a feed is installed.
func Open(root string) *Cache { return &Cache{Root: root} }

const blobDir = "blobs/sha256"

// DefaultRoot is $XDG_CACHE_HOME/stella/feeds (else ~/.cache/stella/feeds).
func DefaultRoot(getenv func(string) string) string {
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".cache")
		} else {
			dir = "."
		}
	}
	return filepath.Join(dir, "stella", "feeds")
}

// metaPath is where the metadata of feed name lives.
func (c *Cache) metaPath(name string) string {
	return filepath.Join(c.Root, filepath.FromSlash(name)+".json")
}

// Path is the file holding m's bytes.
func (m *Meta) Path(root string) string { return filepath.Join(root, filepath.FromSlash(m.Blob)) }

// Get returns the metadata of feed name, or nil when it is not cached.
func (c *Cache) Get(name string) (*Meta, error) {
	data, err := os.ReadFile(c.metaPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fail.New(fail.Invalid, "feed cache %s: %v", c.Root, err)
	}
	return decodeMeta(c.metaPath(name), data)
}

func decodeMeta(p string, data []byte) (*Meta, error) {
	var m Meta
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fail.New(fail.Integrity, "%s: not a feed metadata file: %v", p, err)
	}
	want := canon.Prefix + strings.TrimPrefix(path.Base(m.Blob), canon.Prefix)
	if m.Schema != MetaSchema || path.Dir(m.Blob) != blobDir || want != m.Digest {
		return nil, fail.New(fail.Integrity, "%s: not a %s file, or its blob does not match its digest", p, MetaSchema)
	}
	return &m, nil
}

// List returns the metadata of every cached feed, sorted by kind (in Kinds
// order), then name.
func (c *Cache) List() ([]Meta, error) { return c.list(Kinds) }

// list is List of the given kinds only: the metadata of the others is not
// read (a damaged one fails only a command that reads that feed).
func (c *Cache) list(kinds []Kind) ([]Meta, error) {
	var out []Meta
	for _, k := range kinds {
		var names []string
		if _, err := os.Stat(filepath.Join(c.Root, string(k)+".json")); err == nil {
			names = append(names, string(k))
		}
		ents, err := os.ReadDir(filepath.Join(c.Root, string(k)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fail.New(fail.Invalid, "feed cache %s: %v", c.Root, err)
		}
		for _, e := range ents {
			if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && e.Type().IsRegular() && !strings.HasPrefix(n, ".") {
				names = append(names, string(k)+"/"+n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			m, err := c.Get(n)
			if err != nil {
				return nil, err
			}
			if m != nil {
				out = append(out, *m)
			}
		}
	}
	return out, nil
}

// Verify re-hashes a cached feed's blob against its metadata.
func (c *Cache) Verify(m *Meta) error {
	d, _, err := fileSHA256(m.Path(c.Root))
	if err != nil {
		return fail.New(fail.Integrity, "feed %s: %v", m.Name, err)
	}
	if d != m.Digest {
		return fail.New(fail.Integrity, "feed %s: %s has digest %s, the metadata says %s", m.Name, m.Path(c.Root), d, m.Digest)
	}
	return nil
}

// install moves a validated download into the blob store and commits m,
// then removes the previous blob of the feed when nothing else refers to it.
func (c *Cache) install(tmp string, m *Meta, prev *Meta) error {
	blob := filepath.Join(c.Root, filepath.FromSlash(m.Blob))
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return fail.New(fail.Internal, "feed cache: %v", err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail.New(fail.Internal, "feed cache: %v", err)
	}
	if err := os.Rename(tmp, blob); err != nil {
		return fail.New(fail.Internal, "feed cache: %v", err)
	}
	if err := c.writeMeta(m); err != nil {
		return err
	}
	if prev != nil && prev.Blob != m.Blob {
		c.dropUnused(prev.Blob)
	}
	return nil
}

// writeMeta writes m atomically.
func (c *Cache) writeMeta(m *Meta) error {
	p := c.metaPath(m.Name)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fail.Wrap(fail.Internal, err)
	}
	data = append(data, '\n')
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fail.New(fail.Internal, "feed cache: %v", err)
	}
	if err := atomicfile.Write(p, data, 0o644); err != nil {
		return fail.New(fail.Internal, "feed cache: write %s: %v", p, err)
	}
	return nil
}

// dropUnused removes a blob no feed refers to any more. A failure leaves it
// behind, which costs only space.
func (c *Cache) dropUnused(blob string) {
	all, err := c.List()
	if err != nil {
		return
	}
	for _, m := range all {
		if m.Blob == blob {
			return
		}
	}
	os.Remove(filepath.Join(c.Root, filepath.FromSlash(blob)))
}

// named returns the cached feeds to freeze: every one of kinds when names
// is empty, else the named ones (a feed not in the cache is an error naming
// `stella feeds pull`). Nothing is re-hashed yet: verify does that for the
// ones read.
func (c *Cache) named(names []string, kinds []Kind) ([]Meta, error) {
	if len(names) == 0 {
		return c.list(kinds)
	}
	var out []Meta
	for _, n := range names {
		m, err := c.Get(n)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fail.New(fail.NotFound, "feed %s is not in the cache %s; pull it with `stella feeds pull`", n, c.Root)
		}
		out = append(out, *m)
	}
	return out, nil
}

// verify re-hashes the blobs of ms against their metadata. Every run from
// the cache hashes every blob it reads (megabytes each): on all cores at
// once; the first feed that fails is reported.
func (c *Cache) verify(ms []Meta) error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i := range ms {
		wg.Go(func() { errs[i] = c.Verify(&ms[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Provenance is what a snapshot records about the feed (docs/feeds.md).
func (m *Meta) Provenance() snapshot.Feed {
	return snapshot.Feed{Name: m.Name, URL: m.URL, FetchedAt: m.FetchedAt, Digest: m.Digest, Records: m.Records, Newest: m.Newest}
}
