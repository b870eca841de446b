package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
)

// The frozen-advisory cache (docs/performance.md, "The advisory store"):
// freezing loose advisory inputs — reading, decoding, normalizing and
// canonically encoding every record — is most of the cost of a run over
// them, and gives the same frozen set every time the files are the same. So
// FromFiles keeps the frozen set of the advisory inputs of a Spec (the
// canonical advisories.json, its index, and what the manifest says about
// them) in Spec.Cache, and a later run whose inputs have the same
// fingerprint (inputs.Fingerprint) reads the set from there and decodes
// only the records its SBOMs can match (Index.Select), as a run from a
// snapshot does. The result is byte-identical either way: the cache only
// skips work whose output it holds.

// cacheSchema names the format of a cache entry; a change in how stella
// reads or freezes advisories that the executable's identity would not
// show must bump it.
const cacheSchema = "stella.frozen-advisories/v3"

// cacheMeta is meta.json of a cache entry.
type cacheMeta struct {
	Schema string `json:"schema"`
	// Exe is the executable that froze the set: a rebuilt stella may read
	// or normalize differently, so it freezes again.
	Exe         string       `json:"exe"`
	Fingerprint []string     `json:"fingerprint"` // inputs.Fingerprint of each input
	Set         *frozenSet   `json:"set"`
	Files       [2]cacheFile `json:"files"` // advisories.json, advisories.index.json
}

type cacheFile struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Print is the metadata of advisories.json once written
	// (inputs.FilePrint): a run reads only the records it selects, so
	// the file is checked by its metadata instead of its digest.
	Print string `json:"print,omitempty"`
}

// frozenSet is what freezing a list of advisory inputs contributes to a
// snapshot besides the records themselves.
type frozenSet struct {
	Inputs   []frozenInput    `json:"inputs"`             // in the order given
	Warnings []inputs.Problem `json:"warnings,omitempty"` // of merging them
	Stats    advStats         `json:"stats"`
	// DupNewest is the newest modified time of a copy of a record that
	// differs from another copy of its id (inputs.Merge.Newest): the set
	// is kept and taken only for a Spec.NotAfter it is not future to, as
	// merging the copies depends on NotAfter (docs/inputs.md "Advisories").
	DupNewest time.Time `json:"dupNewest,omitzero"`

	data, index             []byte // advisories.json (nil when cached), advisories.index.json
	x                       *Index // over the cached advisories.json
	size                    int64  // of advisories.json
	indexPath               string // a cached advisories.index.json, whose text index then leaves out
	indexSize               int64
	dataDigest, indexDigest string    // theirs
	doc                     *IndexDoc // index, decoded
}

// frozenInput is one advisory input as the manifest records it.
type frozenInput struct {
	Read   inputs.Input  `json:"read"` // without its records
	Digest string        `json:"digest"`
	Counts inputs.Counts `json:"counts"`
}

// advStats are the advisory figures of Stats.
type advStats struct {
	Advisories  int     `json:"advisories"`
	Withdrawn   int     `json:"withdrawn"`
	ByEcosystem []Count `json:"byEcosystem"`
	BySource    []Count `json:"bySource"`
}

// advCache is the cache entry of one Spec's advisory inputs.
type advCache struct {
	dir    string   // the entry
	print  []string // the inputs' fingerprints, taken before they are read
	newest time.Time
	// notAfter is the Spec's: a set whose merge depended on it is not
	// taken (frozenSet.limited).
	notAfter time.Time
}

// openCache finds where the advisory inputs of spec are cached and
// fingerprints them; nil when spec caches nothing or the platform cannot
// fingerprint files. The entry is read (get) while the inputs are
// fingerprinted, and taken only if their fingerprints are the entry's.
func openCache(spec *Spec) (*advCache, *frozenSet, error) {
	if spec.Cache == "" || len(spec.Advisories) == 0 {
		return nil, nil, nil
	}
	exe := exeID()
	if exe == "" {
		return nil, nil, nil
	}
	type keyInput struct{ Path, Abs string }
	key := struct {
		Schema      string
		Inputs      []keyInput
		SkipInvalid bool
		Limits      inputs.Limits
	}{Schema: cacheSchema, SkipInvalid: spec.SkipInvalid, Limits: spec.Limits}
	for _, p := range spec.Advisories {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, nil
		}
		key.Inputs = append(key.Inputs, keyInput{p, abs})
	}
	k, err := json.Marshal(key)
	if err != nil {
		return nil, nil, nil
	}
	d := canon.Digest(k)[len(canon.Prefix):]
	c := &advCache{dir: filepath.Join(spec.Cache, d[:2], d), notAfter: spec.NotAfter}
	var e *cacheEntry
	var wg sync.WaitGroup
	wg.Go(func() { e = c.read() })
	defer wg.Wait()
	for _, p := range spec.Advisories {
		fp, newest, ok, err := inputs.Fingerprint(p, spec.Limits)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, nil
		}
		c.print = append(c.print, fp)
		if newest.After(c.newest) {
			c.newest = newest
		}
	}
	wg.Wait()
	return c, c.match(e), nil
}

// exeID identifies the running executable by its path, size and
// modification time; "" when it cannot be found.
var exeID = sync.OnceValue(func() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", p, fi.Size(), fi.ModTime().UnixNano())
})

// get returns the cached set when the entry was frozen by this executable
// from inputs with the same fingerprints and its files are intact; nil
// otherwise.
func (c *advCache) get() *frozenSet { return c.match(c.read()) }

// cacheEntry is an entry as read, before its fingerprints are compared.
type cacheEntry struct {
	print []string
	set   *frozenSet
}

// match returns e's set when e was frozen from inputs with the
// fingerprints c has taken.
func (c *advCache) match(e *cacheEntry) *frozenSet {
	if e == nil || !slices.Equal(e.print, c.print) || e.set.limited(c.notAfter) {
		return nil
	}
	return e.set
}

// limited reports whether a copy of a record in s is modified more than
// model.FutureSkew after notAfter, so that merging the copies depends on
// notAfter (inputs.Merge): such a set is neither cached nor taken from the
// cache.
func (s *frozenSet) limited(notAfter time.Time) bool { return model.Future(s.DupNewest, notAfter) }

// read reads the entry when this executable froze it and its files are
// intact; nil otherwise. The index is read and its digest checked;
// advisories.json is not read — a run reads only the records it selects,
// at their offsets (Index.Select) — so it is checked by its metadata,
// which any write to it changes (docs/performance.md, "The advisory
// store").
func (c *advCache) read() *cacheEntry {
	raw, err := os.ReadFile(filepath.Join(c.dir, "meta.json"))
	if err != nil {
		return nil
	}
	var m cacheMeta
	if json.Unmarshal(raw, &m) != nil || m.Schema != cacheSchema || m.Exe != exeID() || m.Set == nil {
		return nil
	}
	data, idx := m.Files[0], m.Files[1]
	dataPath, indexPath := filepath.Join(c.dir, data.Path), filepath.Join(c.dir, idx.Path)
	if fi, err := os.Stat(dataPath); err != nil || fi.Size() != data.Size || !samePrint(fi, data.Print) {
		return nil
	}
	index, err := os.ReadFile(indexPath)
	if err != nil || int64(len(index)) != idx.Size || canon.Digest(index) != idx.Digest {
		return nil
	}
	var doc IndexDoc
	if decodeIndex(index, &doc, false) != nil || doc.Schema != IndexSchema {
		return nil
	}
	x, err := openIndexFile(dataPath, data.Print, data.Size, &doc)
	if err != nil {
		return nil
	}
	// The index is decoded and its text dropped: Files() reads it again.
	s := m.Set
	s.x, s.size, s.indexPath, s.indexSize, s.doc = x, data.Size, indexPath, idx.Size, &doc
	s.dataDigest, s.indexDigest = data.Digest, idx.Digest
	return &cacheEntry{print: m.Fingerprint, set: s}
}

// put stores set as the entry, replacing any other, unless a fingerprinted
// file changed so recently that a later change within the same timestamp
// tick could go unseen. The cache is best effort: a failure to write it
// changes nothing but the next run's speed.
func (c *advCache) put(set *frozenSet) {
	tmp := c.tmp()
	if tmp == "" {
		return
	}
	defer os.RemoveAll(tmp)
	if os.WriteFile(filepath.Join(tmp, AdvisoriesFile), set.data, 0o600) != nil || os.WriteFile(filepath.Join(tmp, IndexFile), set.index, 0o600) != nil {
		return
	}
	c.commit(tmp, set)
}

// tmp makes a directory beside the entry to write a new entry into; ""
// when it cannot.
func (c *advCache) tmp() string {
	parent := filepath.Dir(c.dir)
	if os.MkdirAll(parent, 0o700) != nil {
		return ""
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-*")
	if err != nil {
		return ""
	}
	return tmp
}

// commit makes tmp, which holds set's advisories.json and index, the
// entry (put's rules); it reports whether it did.
func (c *advCache) commit(tmp string, set *frozenSet) bool {
	fi, err := os.Stat(filepath.Join(tmp, AdvisoriesFile))
	if err != nil {
		return false
	}
	print, ok := inputs.FilePrint(fi)
	if !ok {
		return false
	}
	m := cacheMeta{Schema: cacheSchema, Exe: exeID(), Fingerprint: c.print, Set: set,
		Files: [2]cacheFile{{AdvisoriesFile, set.dataDigest, set.size, print}, {IndexFile, set.indexDigest, int64(len(set.index)), ""}}}
	meta, err := json.Marshal(m)
	if err != nil || os.WriteFile(filepath.Join(tmp, "meta.json"), meta, 0o600) != nil {
		return false
	}
	// The file system's clock, not stella's, says how recent "recent" is.
	if fi, err = os.Stat(filepath.Join(tmp, "meta.json")); err != nil || !c.settled(fi.ModTime()) {
		return false
	}
	old := tmp + ".old"
	os.Rename(c.dir, old)
	if os.Rename(tmp, c.dir) != nil {
		return false
	}
	os.RemoveAll(old)
	return true
}

// settled reports whether every fingerprinted file is older than now (a
// time on the file system's clock) by more than racyWindow.
func (c *advCache) settled(now time.Time) bool { return c.newest.Before(now.Add(-racyWindow)) }

// racyWindow is how much older than the cache entry every input file must
// be for the entry to be kept: far more than any file system's timestamp
// granularity.
var racyWindow = 2 * time.Second
