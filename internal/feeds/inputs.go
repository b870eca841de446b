package feeds

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Inputs are the inputs a command names by flag (docs/inputs.md): the raw
// files and the cached feeds frozen with them (--feeds, docs/feeds.md
// "Using the cache"). The commands bind their flags to the fields, then
// fill in what configuration resolves (CacheDir, Frozen, Progress).
type Inputs struct {
	snapshot.Request
	Feeds    []string        // --feeds: comma-separated feed names, All or Auto
	CacheDir string          // --cache-dir, then the feed cache in force (Root)
	Frozen   string          // the frozen-advisory cache (FrozenRoot); "" off
	Progress inputs.Progress // where long reads report
}

// Read is a snapshot spec with the cached feeds frozen into it.
type Read struct {
	snapshot.Spec
	Cache string // the feed cache
	Used  []Meta // the cached feeds frozen in; nil when none
	given bool   // --advisories was given
}

// Notice names the cached feeds read and their ages at now, for stderr
// (docs/feeds.md "Using the cache"), saying "no --advisories" only when
// none was given; "" when no feed was read.
func (r *Read) Notice(now time.Time) string {
	if r.Used == nil {
		return ""
	}
	why := "no --advisories: "
	if r.given {
		why = ""
	}
	return fmt.Sprintf("stella: %susing the cached feeds in %s: %s", why, r.Cache, Ages(r.Used, now))
}

// Spec checks in and names its inputs, with the cached feeds it selects
// (Freeze: only those are re-hashed).
func (in Inputs) Spec() (*Read, error) {
	sp, err := in.Request.Spec()
	if err != nil {
		return nil, err
	}
	sp.Progress, sp.Cache = in.Progress, in.Frozen
	r := &Read{Spec: sp, Cache: in.CacheDir, given: len(in.Advisories) > 0}
	r.Used, err = Open(in.CacheDir).Freeze(in.Feeds, &r.Spec)
	return r, err
}

// Create is `stella snapshot create` (docs/inputs.md): it freezes in as
// known at now — a copy of an advisory modified later does not win
// (docs/inputs.md "Advisories") — and writes the snapshot to dir, else
// under root (snapshot.CreateIn). --exceptions approved is read with
// approved instead of from a file: the database's approved, unexpired
// exceptions (docs/governance.md "How exceptions reach evaluations").
func (in Inputs) Create(dir, root string, now time.Time, approved func() ([]byte, error)) (*snapshot.Created, error) {
	if len(in.SBOMs) == 0 {
		return nil, fail.New(fail.Invalid, "snapshot create needs at least one --sbom")
	}
	var docs []snapshot.Doc
	if i := slices.Index(in.Exceptions, "approved"); i >= 0 {
		data, err := approved()
		if err != nil {
			return nil, err
		}
		in.Exceptions = slices.Delete(slices.Clone(in.Exceptions), i, i+1)
		docs = []snapshot.Doc{{Name: "--exceptions approved", Kind: inputs.KindExceptions, Data: data}}
	}
	r, err := in.Spec()
	if err != nil {
		return nil, err
	}
	r.Docs, r.NotAfter = docs, now
	return snapshot.CreateIn(r.Spec, dir, root)
}

// Advisories are the OSV archives of the cache, for `stella match` without
// --advisories (docs/feeds.md "Using the cache"): only they are re-hashed.
// A cache without one is an error saying how to get some.
func (c *Cache) Advisories() (*Read, error) {
	r := &Read{Cache: c.Root}
	var err error
	if r.Used, err = c.freeze(nil, []Kind{OSV}, &r.Spec); err != nil {
		return nil, err
	}
	if len(r.Used) == 0 {
		return nil, fail.New(fail.Invalid, "--advisories is required when the feed cache (%s) holds no OSV feed: give --advisories PATH, or pull some first: %s", c.Root, PullHint)
	}
	return r, nil
}

// Root is the feed cache: the --cache-dir flag, else the configured
// directory (config feeds.cache_dir), else DefaultRoot.
func Root(flag, configured string, getenv func(string) string) string {
	return cmp.Or(flag, configured, DefaultRoot(getenv))
}

// FrozenRoot is the frozen-advisory cache (docs/performance.md, "The
// advisory store"): the configured directory (config inputs.cache_dir),
// else frozen/ beside the default feed cache; "" when configured "off".
func FrozenRoot(configured string, getenv func(string) string) string {
	switch configured {
	case "off":
		return ""
	case "":
		return filepath.Join(filepath.Dir(DefaultRoot(getenv)), "frozen")
	}
	return configured
}
