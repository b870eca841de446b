// Package inputs owns reading raw supply-chain input files into the
// normalized model: CycloneDX and SPDX SBOMs, OSV advisories (one file, a
// directory tree or a zip), OpenVEX, CycloneDX VEX and CSAF VEX documents,
// EPSS and CISA KEV signals, and stella's own reachability and exceptions
// files (docs/inputs.md).
//
// Formats are detected by content, never by file name, unless the caller
// forces one. Every reader is defensive: inputs are size-limited and streamed
// where it matters, must be UTF-8 and nest boundedly, and every problem names
// the file, the line and column and the JSON pointer of the offending value.
// A malformed input is an error of kind fail.Invalid (exit code 2); only
// malformed OSV records may be skipped, and only when asked.
//
// Normalization is deterministic: every list a reader returns is sorted, text
// is kept as written, times become RFC 3339 UTC, and nothing depends on file
// order, map order, the clock or the environment.
package inputs

import (
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// Kind is what an input contributes to an evaluation.
type Kind string

// The input kinds, in the order a snapshot lists them.
const (
	KindSBOM       Kind = "sbom"
	KindAdvisories Kind = "advisories"
	KindVEX        Kind = "vex"
	KindNVD        Kind = "nvd"
	KindEPSS       Kind = "epss"
	KindKEV        Kind = "kev"
	KindReach      Kind = "reachability"
	KindExceptions Kind = "exceptions"
)

// Kinds lists every kind in snapshot order.
var Kinds = []Kind{KindSBOM, KindAdvisories, KindVEX, KindNVD, KindEPSS, KindKEV, KindReach, KindExceptions}

// Format is a document format.
type Format string

// The formats stella reads.
const (
	CycloneDX  Format = "cyclonedx"
	SPDX       Format = "spdx"
	OSV        Format = "osv"
	OpenVEX    Format = "openvex"
	CSAF       Format = "csaf"
	EPSSCSV    Format = "epss"
	KEVJSON    Format = "kev"
	NVDJSON    Format = "nvd"
	KEVCSV     Format = "kev-csv"
	Reach      Format = "stella-reachability"
	Exceptions Format = "stella-exceptions"
)

// formatKinds says which kinds each format can provide; the first is the
// kind a detected document of that format has by default.
var formatKinds = map[Format][]Kind{
	CycloneDX:  {KindSBOM, KindVEX},
	SPDX:       {KindSBOM},
	OSV:        {KindAdvisories},
	OpenVEX:    {KindVEX},
	CSAF:       {KindVEX},
	EPSSCSV:    {KindEPSS},
	KEVJSON:    {KindKEV},
	KEVCSV:     {KindKEV},
	NVDJSON:    {KindNVD},
	Reach:      {KindReach},
	Exceptions: {KindExceptions},
}

// ParseFormat checks a format name given on the command line.
func ParseFormat(s string, k Kind) (Format, error) {
	f := Format(s)
	for _, fk := range formatKinds[f] {
		if k == "" || fk == k {
			return f, nil
		}
	}
	var names []string
	for _, cand := range []Format{CycloneDX, SPDX, OSV, OpenVEX, CSAF, NVDJSON, EPSSCSV, KEVJSON, KEVCSV, Reach, Exceptions} {
		for _, fk := range formatKinds[cand] {
			if k == "" || fk == k {
				names = append(names, string(cand))
				break
			}
		}
	}
	what := "format"
	if k != "" {
		what = string(k) + " format"
	}
	return "", fail.New(fail.Invalid, "unknown %s %q (want %s)", what, s, joinOr(names))
}

// Options control how Read reads one input.
type Options struct {
	Kind        Kind   // the kind expected; "" accepts any and detects it
	Format      Format // forces a format; "" detects it by content
	SkipInvalid bool   // skip malformed OSV records instead of failing
	Limits      Limits
	Progress    Progress // told about large directories and zips; may be nil
	// Each, when set, is handed the normalized records of each member of
	// an OSV directory or zip (member: its position in name order; name:
	// the input path and the member's, for messages), from
	// several goroutines at once, instead of Read holding them: the Input
	// then has no Advisories and the caller merges them as
	// Merge does (docs/performance.md, "The first run over a
	// new zip").
	Each func(member int, name string, advs []model.Advisory)
	// NotAfter, when set, is the time the advisories are read for (the
	// evaluation time, or the clock of `snapshot create`): a copy of a
	// record modified more than model.FutureSkew after it does not win
	// over another copy of that id (Merge, docs/inputs.md "Advisories").
	NotAfter time.Time
}

// Progress receives progress while many files are read. Implementations
// must be safe for concurrent use.
type Progress interface {
	Start(what string, total int)
	Add(n int)
	Finish()
}

// ProgressThreshold is the number of files above which Read reports progress.
const ProgressThreshold = 2000

// Input is one read and normalized input: a file, a directory or a zip.
type Input struct {
	Path        string `json:"path"`
	Kind        Kind   `json:"kind"`
	Format      Format `json:"format"`
	SpecVersion string `json:"specVersion,omitempty"`
	MediaType   string `json:"mediaType"`
	RawDigest   string `json:"rawDigest"` // sha256 of the file; of the member listing for a directory
	Files       int    `json:"files"`     // files read: 1, or the JSON members of a directory or zip

	SBOM       *model.SBOM          `json:"-"`
	Advisories []model.Advisory     `json:"-"` // sorted by ID
	VEX        []model.VEXStatement `json:"-"` // sorted by ID; for a CycloneDX SBOM, its embedded VEX
	NVD        []model.NVDCVE       `json:"-"` // sorted by ID
	EPSS       *model.EPSS          `json:"-"`
	KEV        *model.KEV           `json:"-"`
	Reach      []model.Reach        `json:"-"`
	Exceptions []model.Exception    `json:"-"`

	// DupNewest is Merge.Newest of merging the advisories' copies.
	DupNewest time.Time `json:"-"`

	Warnings []Problem `json:"warnings,omitempty"`
	Skipped  []Problem `json:"skipped,omitempty"` // malformed records left out (--skip-invalid)
}

// Counts sizes an input's content by what it holds.
type Counts struct {
	Components   int `json:"components,omitempty"`
	NoPurl       int `json:"noPurl,omitempty"`
	Advisories   int `json:"advisories,omitempty"`
	Withdrawn    int `json:"withdrawn,omitempty"`
	VEX          int `json:"vex,omitempty"`
	NVD          int `json:"nvd,omitempty"`
	EPSS         int `json:"epss,omitempty"`
	KEV          int `json:"kev,omitempty"`
	Reachability int `json:"reachability,omitempty"`
	Exceptions   int `json:"exceptions,omitempty"`
	Skipped      int `json:"skipped,omitempty"`
}

// Counts returns the sizes of in's content.
func (in *Input) Counts() Counts {
	c := Counts{
		Advisories:   len(in.Advisories),
		VEX:          len(in.VEX),
		NVD:          len(in.NVD),
		Reachability: len(in.Reach),
		Exceptions:   len(in.Exceptions),
		Skipped:      len(in.Skipped),
	}
	if in.SBOM != nil {
		c.Components = len(in.SBOM.Components)
		c.NoPurl = in.SBOM.NoPurl
	}
	for i := range in.Advisories {
		if in.Advisories[i].Withdrawn != "" {
			c.Withdrawn++
		}
	}
	if in.EPSS != nil {
		c.EPSS = len(in.EPSS.Scores)
	}
	if in.KEV != nil {
		c.KEV = len(in.KEV.Entries)
	}
	return c
}

// Limits bound what a reader accepts, so hostile inputs fail fast instead of
// exhausting memory.
type Limits struct {
	MaxFileBytes    int64 // one file or member, after decompression
	MaxArchiveBytes int64 // all members of one zip, uncompressed
	MaxRatio        int64 // uncompressed ÷ compressed size of a zip member or gzip file above 1 MiB
	MaxFiles        int   // members of one directory or zip
	MaxDepth        int   // JSON array/object nesting
}

// DefaultLimits are generous for real SBOMs and advisory databases and
// small enough to refuse bombs.
var DefaultLimits = Limits{
	MaxFileBytes:    256 << 20,
	MaxArchiveBytes: 8 << 30,
	MaxRatio:        200,
	MaxFiles:        2_000_000,
	MaxDepth:        128,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxArchiveBytes > 0 {
		d.MaxArchiveBytes = l.MaxArchiveBytes
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.MaxFiles > 0 {
		d.MaxFiles = l.MaxFiles
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}

// Media types recorded for raw inputs.
const (
	mediaCycloneDX  = "application/vnd.cyclonedx+json"
	mediaSPDX       = "application/spdx+json"
	mediaOSV        = "application/vnd.osv+json"
	mediaOpenVEX    = "application/openvex+json"
	mediaCSAF       = "application/csaf+json"
	mediaNVD        = "application/vnd.nist.nvd.cve+json"
	mediaCSV        = "text/csv"
	mediaJSON       = "application/json"
	mediaReach      = "application/vnd.stella.reachability+json"
	mediaExceptions = "application/vnd.stella.exceptions+json"
	mediaYAML       = "application/yaml"
	mediaGzip       = "application/gzip"
	mediaZip        = "application/zip"
	mediaDir        = "inode/directory"
)
