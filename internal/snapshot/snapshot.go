// Package snapshot owns frozen inputs: it reads a set of raw input files
// (internal/inputs), merges and normalizes them, and freezes the result as a
// content-addressed snapshot — a manifest plus canonical JSON files and an
// advisory index — that can be written to a directory, loaded back and
// verified, or built in memory for a one-off evaluation.
//
// A snapshot's id is the sha256 of the canonical JSON of its manifest
// content: the normalized digests, counts and file digests of what was
// frozen. It does not depend on file names, argument order, whitespace or key
// order in the raw files, only on their meaning. The raw files' own digests,
// paths and media types are recorded beside the content as provenance
// (docs/inputs.md, "Snapshots").
package snapshot

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
)

// Schema names the manifest format.
const Schema = "stella.snapshot/v1"

// File names inside a snapshot.
const (
	ManifestFile   = "manifest.json"
	AdvisoriesFile = "advisories.json"
	IndexFile      = "advisories.index.json"
	VEXFile        = "vex.json"
	NVDFile        = "nvd.json"
	EPSSFile       = "epss.json"
	KEVFile        = "kev.json"
	ReachFile      = "reachability.json"
	ExceptionsFile = "exceptions.json"
	sbomDir        = "sboms"
)

// Manifest describes a snapshot. Content is what the id covers; Sources and
// Warnings are provenance: where the content came from, as given.
type Manifest struct {
	Schema   string           `json:"schema"`
	ID       string           `json:"id"`
	Content  Content          `json:"content"`
	Sources  []Source         `json:"sources,omitempty"`
	Warnings []inputs.Problem `json:"warnings,omitempty"`
}

// Content is the identity of a snapshot: id = sha256 of its canonical JSON.
type Content struct {
	Inputs []Input `json:"inputs"` // sorted by kind, then digest
	Files  []File  `json:"files"`  // sorted by path
	Stats  Stats   `json:"stats"`
	Feeds  []Feed  `json:"feeds,omitempty"` // sorted by name; only in snapshots frozen from the feed cache
}

// Feed is the provenance of a cached feed frozen into a snapshot
// (docs/feeds.md): where it came from, when, and the digest of the bytes as
// downloaded. It is part of the content, so it travels with the snapshot
// into the database and bundles and cannot be edited unnoticed.
type Feed struct {
	Name      string `json:"name"` // osv/PyPI, kev, epss, nvd/2024
	URL       string `json:"url"`
	FetchedAt string `json:"fetchedAt"` // RFC 3339 UTC
	Digest    string `json:"digest"`    // sha256 of the feed as downloaded
	Records   int    `json:"records"`
	Newest    string `json:"newest,omitempty"` // the newest record's modified time
}

// Input is one frozen input, by what it means rather than how it was written.
type Input struct {
	Kind        inputs.Kind   `json:"kind"`
	Format      inputs.Format `json:"format"`
	SpecVersion string        `json:"specVersion,omitempty"`
	Digest      string        `json:"digest"` // of the input's normalized content (docs/inputs.md)
	Counts      inputs.Counts `json:"counts"`
}

// File is one content file of a snapshot.
type File struct {
	Path      string `json:"path"`
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Source records one raw input as it was given.
type Source struct {
	Kind      inputs.Kind      `json:"kind"`
	Path      string           `json:"path"`
	Format    inputs.Format    `json:"format"`
	MediaType string           `json:"mediaType"`
	RawDigest string           `json:"rawDigest"`
	Digest    string           `json:"digest"` // the normalized digest: the Input it became
	Files     int              `json:"files"`
	Warnings  []inputs.Problem `json:"warnings,omitempty"`
	Skipped   []inputs.Problem `json:"skipped,omitempty"`
}

// Stats sizes a snapshot's content. Lists are sorted by name.
type Stats struct {
	SBOMs                 int     `json:"sboms"`
	Components            int     `json:"components"`
	NoPurl                int     `json:"noPurl"`
	ComponentsByEcosystem []Count `json:"componentsByEcosystem"`
	Advisories            int     `json:"advisories"`
	Withdrawn             int     `json:"withdrawn"`
	AdvisoriesByEcosystem []Count `json:"advisoriesByEcosystem"`
	AdvisoriesBySource    []Count `json:"advisoriesBySource"`
	VEX                   int     `json:"vex"`
	VEXByStatus           []Count `json:"vexByStatus"`
	VEXByFormat           []Count `json:"vexByFormat"`
	NVD                   int     `json:"nvd,omitempty"`
	EPSS                  int     `json:"epss"`
	KEV                   int     `json:"kev"`
	Reachability          int     `json:"reachability"`
	Exceptions            int     `json:"exceptions"`
	Skipped               int     `json:"skipped"`
}

// Count is a named count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Digests are the digests of a snapshot's normalized content by kind, each
// the digest of the canonical JSON of that content (the content file), for
// records that cite what was evaluated.
type Digests struct {
	SBOMs        []SBOMDigest `json:"sboms"` // sorted by digest
	Advisories   string       `json:"advisories"`
	VEX          string       `json:"vex"`
	NVD          string       `json:"nvd,omitempty"`
	EPSS         string       `json:"epss,omitempty"`
	KEV          string       `json:"kev,omitempty"`
	Reachability string       `json:"reachability,omitempty"`
	Exceptions   string       `json:"exceptions,omitempty"`
}

// SBOMDigest identifies one SBOM of a snapshot.
type SBOMDigest struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"` // model.SBOM.Digest
	File       string `json:"file"`   // digest of its content file
	Components int    `json:"components"`
}

// Snapshot is a frozen input set, in memory or loaded from a directory.
type Snapshot struct {
	Manifest Manifest
	// Inputs is the normalized content. After Open, Advisories is nil: use
	// Index, or LoadMatching to read those an evaluation needs.
	Inputs  *model.Inputs
	Index   *Index
	Digests Digests

	fsys  fs.FS             // where the files are, when opened
	files map[string][]byte // the content files, when built in memory or read whole (readDir)
}

// ID returns the snapshot id.
func (s *Snapshot) ID() string { return s.Manifest.ID }

// Spec names the raw inputs of a snapshot (the --sbom, --advisories, … flags).
type Spec struct {
	SBOMs        []string
	Advisories   []string
	VEX          []string
	NVD          []string // NVD CVE API 2.0 files or directories of them
	EPSS         string
	KEV          string
	Signals      []string // EPSS or KEV files, each detected by content
	Reachability []string
	Exceptions   []string
	// Docs are inputs held in memory, read like files of their kind after
	// the files (`snapshot create --exceptions approved`: the database's
	// approved exceptions).
	Docs []Doc

	SBOMFormat  inputs.Format // force a format instead of detecting it
	VEXFormat   inputs.Format
	SkipInvalid bool // leave out malformed OSV records
	Limits      inputs.Limits
	Feeds       []Feed // provenance of inputs read from the feed cache
	Progress    inputs.Progress
	// Cache is the directory of the frozen-advisory cache (cache.go); ""
	// freezes the advisories anew every time.
	Cache string
	// NotAfter, when set, is the time the advisories are frozen for (the
	// evaluation time of a run over loose files, the clock of `snapshot
	// create`): of two copies of a record, one modified more than
	// model.FutureSkew after it does not win (inputs.Merge,
	// docs/inputs.md "Advisories").
	NotAfter time.Time
}

// Doc is an input held in memory; Name names it in messages and in the
// snapshot's sources.
type Doc struct {
	Name string
	Kind inputs.Kind
	Data []byte
}

// FromFiles reads every input of spec and freezes them in memory: the
// returned snapshot has the same id, content and digests that Create would
// write, without touching the disk.
func FromFiles(spec Spec) (*Snapshot, error) {
	type job struct {
		path   string
		opt    inputs.Options
		signal bool   // --signals: EPSS or KEV, detected
		data   []byte // a Doc's content: path is its name
	}
	var jobs []job
	for _, p := range spec.Signals {
		jobs = append(jobs, job{path: p, opt: inputs.Options{Limits: spec.Limits}, signal: true})
	}
	for _, step := range []struct {
		kind  inputs.Kind
		f     inputs.Format
		paths []string
	}{
		{inputs.KindSBOM, spec.SBOMFormat, spec.SBOMs},
		{inputs.KindAdvisories, "", spec.Advisories},
		{inputs.KindVEX, spec.VEXFormat, spec.VEX},
		{inputs.KindNVD, "", spec.NVD},
		{inputs.KindEPSS, "", []string{spec.EPSS}},
		{inputs.KindKEV, "", []string{spec.KEV}},
		{inputs.KindReach, "", spec.Reachability},
		{inputs.KindExceptions, "", spec.Exceptions},
	} {
		for _, p := range step.paths {
			if p != "" {
				jobs = append(jobs, job{path: p, opt: inputs.Options{Kind: step.kind, Format: step.f, SkipInvalid: spec.SkipInvalid,
					Limits: spec.Limits, Progress: spec.Progress, NotAfter: spec.NotAfter}})
			}
		}
	}
	for _, d := range spec.Docs {
		jobs = append(jobs, job{path: d.Name, data: d.Data, opt: inputs.Options{Kind: d.Kind, Limits: spec.Limits}})
	}
	// The advisory inputs are fingerprinted for the frozen-advisory cache
	// while the others are read (an SBOM parses on one core while a
	// directory of advisories is stat'ed on the other), and read only when
	// the cache misses; all inputs are read at once (an SBOM parses while
	// an advisory directory fills the other cores), unless a progress bar
	// shows them one by one. The first error in input order is reported.
	var cache *advCache
	var cached *frozenSet
	var cacheErr error
	lookup := func() { cache, cached, cacheErr = openCache(&spec) }
	isAdv := func(j job) bool { return j.opt.Kind == inputs.KindAdvisories && j.data == nil }
	read := make([]*inputs.Input, len(jobs))
	errs := make([]error, len(jobs))
	readJob := func(i int) {
		j := jobs[i]
		if j.data != nil {
			read[i], errs[i] = inputs.ReadBytes(j.path, j.data, j.opt)
		} else {
			read[i], errs[i] = inputs.Read(j.path, j.opt)
		}
	}
	// One OSV directory or zip new to the cache is frozen into the cache
	// as it is read (stream.go), then read from there.
	advs := 0
	for _, j := range jobs {
		if isAdv(j) {
			advs++
		}
	}
	readAdv := func(i int) {
		if cache == nil || advs != 1 {
			readJob(i)
			return
		}
		set, in, err := cache.stream(jobs[i].path, jobs[i].opt)
		switch {
		case err != nil:
			errs[i] = err
		case set != nil:
			cached = set
		case in != nil:
			read[i] = in
		default:
			readJob(i)
		}
	}
	var wg sync.WaitGroup
	if spec.Progress != nil {
		if lookup(); cacheErr != nil {
			return nil, cacheErr
		}
		for i, j := range jobs {
			if isAdv(j) && cached != nil {
				continue
			}
			if isAdv(j) {
				readAdv(i)
			} else {
				readJob(i)
			}
			if errs[i] != nil {
				break
			}
		}
	} else {
		var looked sync.WaitGroup
		looked.Go(lookup)
		for i, j := range jobs {
			if !isAdv(j) {
				wg.Go(func() { readJob(i) })
			}
		}
		looked.Wait()
		for i, j := range jobs {
			if isAdv(j) && cached == nil && cacheErr == nil {
				wg.Go(func() { readAdv(i) })
			}
		}
		wg.Wait()
		if cacheErr != nil {
			return nil, cacheErr
		}
	}
	var got []*inputs.Input
	for i, j := range jobs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if isAdv(j) && read[i] == nil {
			continue
		}
		if in := read[i]; j.signal && in.Kind != inputs.KindEPSS && in.Kind != inputs.KindKEV {
			return nil, fail.New(fail.Invalid, "%s: is %s input, not a signal (EPSS scores or a KEV catalog)", j.path, in.Kind)
		}
		got = append(got, read[i])
	}
	s, set, err := freeze(got, spec.Feeds, cached, spec.NotAfter)
	if err == nil && cache != nil && cached == nil && !set.limited(spec.NotAfter) {
		cache.put(set)
	}
	return s, err
}

// Freeze builds a snapshot from inputs that have already been read.
func Freeze(read []*inputs.Input) (*Snapshot, error) {
	s, _, err := freeze(read, nil, nil, time.Time{})
	return s, err
}

// freeze builds a snapshot from inputs that have been read, and from the
// frozen set of the advisory inputs when it was cached (then read holds
// none of them), merging copies of an advisory as known at notAfter. It
// returns the frozen set of the advisory inputs too.
func freeze(read []*inputs.Input, feeds []Feed, cached *frozenSet, notAfter time.Time) (*Snapshot, *frozenSet, error) {
	b := &builder{files: map[string][]byte{}, inputs: &model.Inputs{SBOMs: []model.SBOM{}, Advisories: []model.Advisory{}, VEX: []model.VEXStatement{}},
		cached: cached, set: cached, notAfter: notAfter}
	if b.set == nil {
		b.set = &frozenSet{}
	}
	b.content.Feeds = slices.SortedFunc(slices.Values(feeds), func(x, y Feed) int { return strings.Compare(x.Name, y.Name) })
	if err := b.build(read); err != nil {
		return nil, nil, err
	}
	s, err := b.finish()
	return s, b.set, err
}

type builder struct {
	files    map[string][]byte
	media    map[string]string
	inputs   *model.Inputs
	content  Content
	sources  []Source
	warnings []inputs.Problem
	digests  Digests
	index    *Index
	// advData, advRecs and advDigest are the encoded advisories and their
	// digest when a single input holds them all: hashed once, for the
	// input's digest and its file's.
	advData   []byte
	advRecs   []Record
	advDigest string
	vexFrom   []encodedVEX // each VEX input's statements, encoded for its digest
	// cached is the frozen set of the advisory inputs when it was cached;
	// set is that, or the one being built.
	cached, set *frozenSet
	notAfter    time.Time // Spec.NotAfter
}

type encodedVEX struct {
	vex  []model.VEXStatement
	data []byte
}

// vexBytes is the canonical JSON of the merged statements: the encoding of
// the one input they all came from when there is one, else encoded anew.
func (b *builder) vexBytes() []byte {
	for _, e := range b.vexFrom {
		if len(e.vex) == len(b.inputs.VEX) && reflect.DeepEqual(e.vex, b.inputs.VEX) {
			return e.data
		}
	}
	return mustCanon(b.inputs.VEX)
}

func (b *builder) build(read []*inputs.Input) error {
	b.media = map[string]string{}
	advInputs := 0
	for _, in := range read {
		if in.Kind == inputs.KindAdvisories {
			advInputs++
		}
	}
	var advs []model.Advisory
	var from []string // the input of each of advs
	var vex []model.VEXStatement
	var nvd []model.NVDCVE
	var reach []reachFrom
	var excs []exceptionFrom
	sbomSeen := map[string]bool{}
	for _, in := range read {
		src := Source{Kind: in.Kind, Path: in.Path, Format: in.Format, MediaType: in.MediaType, RawDigest: in.RawDigest,
			Files: in.Files, Warnings: in.Warnings, Skipped: in.Skipped}
		entry := Input{Kind: in.Kind, Format: in.Format, SpecVersion: in.SpecVersion, Counts: in.Counts()}
		if in.Kind == inputs.KindAdvisories && advInputs == 1 {
			// The only advisory input is the whole merged set (inputs.Read
			// merges and sorts): encode it once, for its digest and its file.
			b.advData, b.advRecs = encodeAdvisories(in.Advisories)
			b.advDigest = canon.Digest(b.advData)
			entry.Digest = b.advDigest
		} else if in.Kind == inputs.KindVEX {
			data := mustCanon(in.VEX)
			entry.Digest = canon.Digest(data)
			b.vexFrom = append(b.vexFrom, encodedVEX{in.VEX, data})
		} else {
			entry.Digest = InputDigest(in)
		}
		switch in.Kind {
		case inputs.KindSBOM:
			if sbomSeen[in.SBOM.Digest] {
				b.warn(in.Path, "the same SBOM content as another input; frozen once")
			} else {
				sbomSeen[in.SBOM.Digest] = true
				b.inputs.SBOMs = append(b.inputs.SBOMs, *in.SBOM)
			}
			vex = append(vex, in.VEX...) // embedded CycloneDX VEX
		case inputs.KindAdvisories:
			advs = append(advs, in.Advisories...)
			for range in.Advisories {
				from = append(from, in.Path)
			}
			if in.DupNewest.After(b.set.DupNewest) {
				b.set.DupNewest = in.DupNewest
			}
		case inputs.KindVEX:
			vex = append(vex, in.VEX...)
		case inputs.KindNVD:
			nvd = append(nvd, in.NVD...)
		case inputs.KindEPSS:
			if b.inputs.EPSS != nil {
				return fail.New(fail.Invalid, "%s: only one EPSS file can be frozen", in.Path)
			}
			b.inputs.EPSS = in.EPSS
		case inputs.KindKEV:
			if b.inputs.KEV != nil {
				return fail.New(fail.Invalid, "%s: only one KEV catalog can be frozen", in.Path)
			}
			b.inputs.KEV = in.KEV
		case inputs.KindReach:
			for _, r := range in.Reach {
				reach = append(reach, reachFrom{r, in.Path})
			}
		case inputs.KindExceptions:
			for _, e := range in.Exceptions {
				excs = append(excs, exceptionFrom{e, in.Path})
			}
		}
		if in.Kind == inputs.KindAdvisories {
			r := *in
			r.Advisories = nil
			b.set.Inputs = append(b.set.Inputs, frozenInput{Read: r, Digest: entry.Digest, Counts: entry.Counts})
		}
		b.add(src, entry)
	}
	var err error
	if b.cached != nil {
		for _, f := range b.cached.Inputs {
			in := &f.Read
			b.add(Source{Kind: in.Kind, Path: in.Path, Format: in.Format, MediaType: in.MediaType, RawDigest: in.RawDigest,
				Files: in.Files, Warnings: in.Warnings, Skipped: in.Skipped},
				Input{Kind: in.Kind, Format: in.Format, SpecVersion: in.SpecVersion, Digest: f.Digest, Counts: f.Counts})
		}
		b.warnings = append(b.warnings, b.cached.Warnings...)
	} else {
		m := inputs.Merge{Where: "advisories", NotAfter: b.notAfter}
		if advInputs > 1 {
			m.From = from
		}
		advs = m.Records(advs)
		b.warnings = append(b.warnings, m.Warnings...)
		b.set.Warnings = m.Warnings
		if m.Newest.After(b.set.DupNewest) {
			b.set.DupNewest = m.Newest
		}
	}
	b.inputs.Advisories = advs
	b.inputs.VEX = inputs.SortVEX(vex)
	if len(nvd) > 0 {
		b.inputs.NVD, b.warnings = inputs.MergeNVD(nvd, "nvd", b.warnings, b.notAfter)
	}
	if b.inputs.Reach, err = mergeReach(reach); err != nil {
		return err
	}
	if b.inputs.Exceptions, err = mergeExceptions(excs); err != nil {
		return err
	}
	slices.SortFunc(b.inputs.SBOMs, func(x, y model.SBOM) int { return strings.Compare(x.Digest, y.Digest) })
	return nil
}

// add adds one frozen input and its source.
func (b *builder) add(src Source, entry Input) {
	src.Digest = entry.Digest
	b.content.Inputs = append(b.content.Inputs, entry)
	b.sources = append(b.sources, src)
}

// InputDigest is the normalized digest of one read input: the digest of the
// canonical JSON of its content (for an SBOM, model.SBOM.Digest). It is what
// a snapshot records for the input, and does not depend on how the raw file
// was written.
func InputDigest(in *inputs.Input) string {
	switch in.Kind {
	case inputs.KindSBOM:
		return in.SBOM.Digest
	case inputs.KindAdvisories:
		data, _ := encodeAdvisories(in.Advisories)
		return canon.Digest(data)
	case inputs.KindVEX, inputs.KindNVD, inputs.KindEPSS, inputs.KindKEV, inputs.KindReach, inputs.KindExceptions:
		return digestOf(contentOf(in))
	}
	return ""
}

func (b *builder) warn(file, format string, args ...any) {
	b.warnings = append(b.warnings, inputs.Problem{File: file, Msg: fmt.Sprintf(format, args...)})
}

// finish writes the content files, the index and the manifest.
func (b *builder) finish() (*Snapshot, error) {
	in := b.inputs
	for i := range in.SBOMs {
		s := &in.SBOMs[i]
		// Hashed as it is encoded, not held (a loose run writes no files):
		// Snapshot.file encodes it again if the snapshot is written.
		digest, size := inputs.DigestSBOM(s)
		d := b.putDigested(sbomFile(s), "application/vnd.stella.sbom+json", nil, size, digest)
		b.digests.SBOMs = append(b.digests.SBOMs, SBOMDigest{Name: s.Name, Digest: s.Digest, File: d, Components: len(s.Components)})
	}
	set := b.set
	if b.cached == nil {
		data, recs, digest := b.advData, b.advRecs, b.advDigest
		if data == nil {
			data, recs = encodeAdvisories(in.Advisories)
			digest = canon.Digest(data)
		}
		set.doc = buildIndex(in.Advisories, recs, data)
		set.data, set.size, set.index, set.Stats = data, int64(len(data)), canonText(set.doc), advisoryStats(in.Advisories)
		set.dataDigest, set.indexDigest = digest, canon.Digest(set.index)
	}
	b.digests.Advisories = b.putDigested(AdvisoriesFile, "application/vnd.stella.advisories+json", set.data, set.size, set.dataDigest)
	if set.indexPath == "" {
		set.indexSize = int64(len(set.index))
	}
	b.putDigested(IndexFile, "application/vnd.stella.advisory-index+json", set.index, set.indexSize, set.indexDigest)
	b.digests.VEX = b.put(VEXFile, "application/vnd.stella.vex+json", b.vexBytes())
	if len(in.NVD) > 0 {
		b.digests.NVD = b.put(NVDFile, "application/vnd.stella.nvd+json", mustCanon(in.NVD))
	}
	if in.EPSS != nil {
		b.digests.EPSS = b.put(EPSSFile, "application/vnd.stella.epss+json", mustCanon(in.EPSS))
	}
	if in.KEV != nil {
		b.digests.KEV = b.put(KEVFile, "application/vnd.stella.kev+json", mustCanon(in.KEV))
	}
	if in.Reach != nil {
		b.digests.Reachability = b.put(ReachFile, "application/vnd.stella.reachability+json", mustCanon(in.Reach))
	}
	if in.Exceptions != nil {
		b.digests.Exceptions = b.put(ExceptionsFile, "application/vnd.stella.exceptions+json", mustCanon(in.Exceptions))
	}
	c := &b.content
	c.Stats = statsOf(in, b.sources, set.Stats)
	slices.SortFunc(c.Inputs, func(x, y Input) int {
		return cmp.Or(cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind)), strings.Compare(x.Digest, y.Digest))
	})
	c.Inputs = slices.CompactFunc(c.Inputs, func(x, y Input) bool { return x.Kind == y.Kind && x.Digest == y.Digest })
	slices.SortFunc(c.Files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(b.sources, func(x, y Source) int {
		return cmp.Or(cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind)), strings.Compare(x.Digest, y.Digest), strings.Compare(x.Path, y.Path))
	})
	m := Manifest{Schema: Schema, ID: contentID(c), Content: *c, Sources: b.sources, Warnings: b.warnings}
	x := set.x
	if x == nil {
		var err error
		if x, err = openIndex(set.data, set.doc); err != nil {
			return nil, err
		}
	}
	if b.cached != nil {
		// Only what the SBOMs can match, as from a snapshot (Load).
		var err error
		if in.Advisories, err = x.Select(in.SBOMs); err != nil {
			return nil, err
		}
	}
	x.indexPath = set.indexPath
	return &Snapshot{Manifest: m, Inputs: in, Index: x, Digests: b.digests, files: b.files}, nil
}

// sbomFile is the path of an SBOM's content file.
func sbomFile(s *model.SBOM) string { return path.Join(sbomDir, canon.Short(s.Digest, 64)+".json") }

// put adds a content file and returns its digest.
func (b *builder) put(p, media string, data []byte) string {
	return b.putDigested(p, media, data, int64(len(data)), canon.Digest(data))
}

// putDigested adds a content file whose size and digest d are known; data
// is nil for a cached advisories.json, which is read from its file when a
// snapshot's files are asked for (Snapshot.file), and for an SBOM, encoded
// again then.
func (b *builder) putDigested(p, media string, data []byte, size int64, d string) string {
	b.files[p] = data
	b.content.Files = append(b.content.Files, File{Path: p, MediaType: media, Digest: d, Size: size})
	return d
}

// contentID is the snapshot id of content c.
func contentID(c *Content) string { return canon.Digest(mustCanon(c)) }

func mustCanon(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("snapshot: canonical JSON of normalized content: %v", err)) // model values always encode
	}
	return b
}

func digestOf(v any) string { return canon.Digest(mustCanon(v)) }

// canonText is the canonical JSON of a large value (an SBOM's content file,
// an advisory index), written by canon.Append: an order of magnitude faster
// than Marshal, and without its generic copy of the value
// (inputs.DigestSBOM digests SBOMs the same way).
func canonText(v any) []byte {
	if b, err := canon.Append(nil, v); err == nil {
		return b
	}
	return mustCanon(v)
}

// encodeAdvisories returns the canonical JSON array of advisories, encoded in
// parallel, and the byte range and digest of each element: the JCS form of
// an array is "[" + elements joined by "," + "]", so each element can be
// read alone.
func encodeAdvisories(advs []model.Advisory) ([]byte, []Record) {
	enc := make([][]byte, len(advs))
	digests := make([]string, len(advs))
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), len(advs)))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(advs); i += workers {
				enc[i] = appendAdvisory(nil, &advs[i])
				digests[i] = canon.Digest(enc[i])
			}
		}()
	}
	wg.Wait()
	size := 2
	for _, e := range enc {
		size += len(e) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	recs := make([]Record, len(advs))
	for i, e := range enc {
		if i > 0 {
			out = append(out, ',')
		}
		recs[i] = Record{ID: advs[i].ID, Offset: int64(len(out)), Length: int64(len(e)), Digest: digests[i]}
		out = append(out, e...)
	}
	out = append(out, ']')
	return out, recs
}

func kindOrder(k inputs.Kind) int { return slices.Index(inputs.Kinds, k) }

type reachFrom struct {
	r    model.Reach
	file string
}

type exceptionFrom struct {
	e    model.Exception
	file string
}

// mergeReach merges reachability facts from several files: identical facts
// are kept once, two different facts about the same purl and vulnerability
// are an error.
func mergeReach(rs []reachFrom) ([]model.Reach, error) {
	if rs == nil {
		return nil, nil
	}
	slices.SortStableFunc(rs, func(a, b reachFrom) int {
		return cmp.Or(strings.Compare(a.r.Purl, b.r.Purl), strings.Compare(a.r.Vulnerability, b.r.Vulnerability))
	})
	out := make([]model.Reach, 0, len(rs))
	for i, r := range rs {
		if i > 0 && rs[i-1].r.Purl == r.r.Purl && rs[i-1].r.Vulnerability == r.r.Vulnerability {
			if digestOf(rs[i-1].r) != digestOf(r.r) {
				return nil, fail.New(fail.Invalid, "%s and %s give different reachability facts for %s %s", rs[i-1].file, r.file, r.r.Purl, r.r.Vulnerability)
			}
			continue
		}
		out = append(out, r.r)
	}
	return out, nil
}

// mergeExceptions merges exceptions from several files by id.
func mergeExceptions(es []exceptionFrom) ([]model.Exception, error) {
	if es == nil {
		return nil, nil
	}
	slices.SortStableFunc(es, func(a, b exceptionFrom) int { return strings.Compare(a.e.ID, b.e.ID) })
	out := make([]model.Exception, 0, len(es))
	for i, e := range es {
		if i > 0 && es[i-1].e.ID == e.e.ID {
			if digestOf(es[i-1].e) != digestOf(e.e) {
				return nil, fail.New(fail.Invalid, "%s and %s define exception %s differently", es[i-1].file, e.file, e.e.ID)
			}
			continue
		}
		out = append(out, e.e)
	}
	return out, nil
}

// statsOf counts the content by kind, ecosystem, source, status and format;
// adv are the advisories' figures (advisoryStats).
func statsOf(in *model.Inputs, sources []Source, adv advStats) Stats {
	st := Stats{SBOMs: len(in.SBOMs), Advisories: adv.Advisories, Withdrawn: adv.Withdrawn, VEX: len(in.VEX),
		Reachability: len(in.Reach), Exceptions: len(in.Exceptions),
		AdvisoriesByEcosystem: adv.ByEcosystem, AdvisoriesBySource: adv.BySource}
	comps, vexStatus, vexFormat := counter{}, counter{}, counter{}
	for _, s := range in.SBOMs {
		st.Components += len(s.Components)
		st.NoPurl += s.NoPurl
		for _, c := range s.Components {
			switch {
			case c.Ecosystem != "":
				comps[c.Ecosystem]++
			case c.Type != "":
				comps["purl:"+c.Type]++
			default:
				comps["(no purl)"]++
			}
		}
	}
	for _, v := range in.VEX {
		vexStatus[v.Status]++
		vexFormat[v.Format]++
	}
	st.NVD = len(in.NVD)
	if in.EPSS != nil {
		st.EPSS = len(in.EPSS.Scores)
	}
	if in.KEV != nil {
		st.KEV = len(in.KEV.Entries)
	}
	for _, s := range sources {
		st.Skipped += len(s.Skipped)
	}
	st.ComponentsByEcosystem = comps.list()
	st.VEXByStatus, st.VEXByFormat = vexStatus.list(), vexFormat.list()
	return st
}

// advisoryStats counts advisories, withdrawn ones, and advisories by
// ecosystem and by source.
func advisoryStats(advs []model.Advisory) advStats {
	var c advCounter
	for _, a := range advs {
		c.add(a.Withdrawn != "", a.Source, func(add func(eco string)) {
			for _, af := range a.Affected {
				add(af.Ecosystem)
			}
		})
	}
	return c.stats()
}

// advCounter counts advisories one by one for advStats.
type advCounter struct {
	st       advStats
	eco, src counter
}

// add counts one advisory; ecos calls add with the ecosystem of each of its
// affected entries.
func (c *advCounter) add(withdrawn bool, source string, ecos func(add func(eco string))) {
	if c.eco == nil {
		c.eco, c.src = counter{}, counter{}
	}
	c.st.Advisories++
	if withdrawn {
		c.st.Withdrawn++
	}
	c.src[source]++
	var seen []string
	ecos(func(eco string) {
		if eco != "" && !slices.Contains(seen, eco) {
			seen = append(seen, eco)
			c.eco[eco]++
		}
	})
}

func (c *advCounter) stats() advStats {
	st := c.st
	st.ByEcosystem, st.BySource = c.eco.list(), c.src.list()
	return st
}

type counter map[string]int

func (c counter) list() []Count {
	out := make([]Count, 0, len(c))
	for k, n := range c {
		out = append(out, Count{k, n})
	}
	slices.SortFunc(out, func(a, b Count) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// manifestBytes encodes a manifest for its file: indented JSON, without
// HTML escaping, ending in a newline.
func manifestBytes(m *Manifest) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
