package bundle

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// What the bundle commands report (docs/bundle.md): the summary of an
// export, the unverified view of `bundle inspect`, and `bundle status`.

// ExportSummary is what `stella bundle export` reports.
type ExportSummary struct {
	File        string   `json:"file"`
	FileDigest  string   `json:"fileDigest"`
	Bytes       int      `json:"bytes"`
	Compression string   `json:"compression"`
	BundleID    string   `json:"bundleId"`
	Stream      string   `json:"stream"`
	Sequence    int64    `json:"sequence"`
	Reused      bool     `json:"sequenceReused"`
	CreatedAt   string   `json:"createdAt"`
	ValidUntil  string   `json:"validUntil"`
	TimeAnchor  string   `json:"timeAnchor"`
	Entries     int      `json:"entries"`
	MerkleRoot  string   `json:"merkleRoot"`
	Policies    []string `json:"policies"`
	Snapshots   []string `json:"snapshots"`
	Runs        []string `json:"runs"`
	Signer      string   `json:"signer"`
}

// Summary describes the exported bundle as written to file.
func (ex *Exported) Summary(file, compression, signer string) *ExportSummary {
	m := ex.Manifest
	return &ExportSummary{File: file, FileDigest: canon.Digest(ex.Data), Bytes: len(ex.Data), Compression: compression,
		BundleID: m.BundleID, Stream: m.Stream, Sequence: m.Sequence, Reused: ex.Reused, CreatedAt: m.CreatedAt, ValidUntil: m.ValidUntil,
		TimeAnchor: m.TimeAnchor, Entries: len(m.Entries), MerkleRoot: m.MerkleRoot, Policies: refs(m), Snapshots: snapshotIDs(m), Runs: runIDs(m), Signer: signer}
}

// compressionFor is the compression a bundle file named name gets when
// none is asked for: gzip for a .gz or .tgz name, else zstd.
func compressionFor(name string) string {
	if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".tgz") {
		return Gzip
	}
	return Zstd
}

// snapshotIDOf is how export names a stored snapshot: a snapshot directory
// names it by its id; anything else is an id or a unique prefix.
func snapshotIDOf(ref string) (string, error) {
	if fi, err := os.Stat(ref); err != nil || !fi.IsDir() {
		return ref, nil
	}
	s, err := snapshot.OpenDir(ref)
	if err != nil {
		return "", err
	}
	return s.ID(), nil
}

// parseValidity reads --valid-for: a positive age as text.ParseAge reads
// it, "30d" (at most 100 years) or a Go duration such as "72h".
func parseValidity(s string) (time.Duration, error) {
	if d, err := text.ParseAge(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fail.New(fail.Invalid, "--valid-for %q: want a positive number of days like 30d, or a duration like 72h", s)
}

// parseSize reads a byte count (--max-size): a number with an optional
// KiB, MiB or GiB suffix (K, M, G are the same).
func parseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fail.New(fail.Invalid, "size %q: want a positive number of bytes, optionally with KiB, MiB or GiB", s)
	}
	return n * mult, nil
}

// UnverifiedNotice heads everything `bundle inspect` shows.
const UnverifiedNotice = "UNVERIFIED: signature, trust and validity were not checked (use stella bundle verify)"

// Inspection is the unverified view of a bundle (`stella bundle inspect`).
type Inspection struct {
	Verified    bool          `json:"verified"` // always false
	Notice      string        `json:"notice"`
	File        string        `json:"file"`
	FileDigest  string        `json:"fileDigest"`
	Bytes       int64         `json:"bytes"`
	Compression string        `json:"compression"`
	Manifest    *Manifest     `json:"manifest"`
	ManifestErr string        `json:"manifestError,omitempty"`
	Files       []InspectFile `json:"files"` // in archive order
}

// InspectFile is one archive member as found.
type InspectFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Manifest compares the file with the manifest's entry: "matches",
	// "differs", "unlisted", or "manifest" for the two manifest files.
	Manifest string `json:"manifest"`
}

// Inspect reads the bundle at path (defensively, as Open does) and lists
// its manifest and files without verifying anything.
func Inspect(path string, lim Limits) (*Inspection, error) {
	b, err := Open(path, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	out := &Inspection{Notice: UnverifiedNotice, File: path, FileDigest: b.Digest, Bytes: b.Size, Compression: b.Compression,
		Manifest: b.Manifest, Files: []InspectFile{}}
	listed := map[string]Entry{}
	if b.ManifestErr != nil {
		out.ManifestErr = b.ManifestErr.Error()
	} else {
		for _, e := range b.Manifest.Entries {
			listed[e.Path] = e
		}
	}
	for _, f := range b.Files() {
		state := "unlisted"
		if e, ok := listed[f.Path]; ok {
			state = "differs"
			if e.SHA256 == f.SHA256 && e.Size == f.Size {
				state = "matches"
			}
		} else if f.Path == ManifestPath || f.Path == SignaturePath {
			state = "manifest"
		}
		out.Files = append(out.Files, InspectFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Manifest: state})
	}
	return out, nil
}

// StreamReport is one stream as `stella bundle status` shows it.
type StreamReport struct {
	StreamStatus
	DaysLeft int    `json:"daysLeft"`
	Expired  bool   `json:"expired"`
	Warning  string `json:"warning,omitempty"`
}

// StatusReport is `stella bundle status`: the streams imported here judged
// at a time.
type StatusReport struct {
	CheckedAt       string         `json:"checkedAt"`
	CheckedAtSource string         `json:"checkedAtSource"` // "time-anchor" or "system-clock"
	LatestAnchor    string         `json:"latestTimeAnchor"`
	ClockBehind     bool           `json:"clockBehindAnchor"`
	Streams         []StreamReport `json:"streams"`
	// Warnings: streams expired or expiring within ExpiryWarning, and a
	// clock behind the latest signed time anchor.
	Warnings []string `json:"-"`
}

// Status reads the streams imported into st and judges them at now (whole
// seconds, UTC); source says where now came from ("time-anchor" or
// "system-clock").
func Status(ctx context.Context, st *store.Store, now time.Time, source string) (*StatusReport, error) {
	now = now.UTC().Truncate(time.Second)
	out := &StatusReport{CheckedAt: now.Format(time.RFC3339), CheckedAtSource: source, Streams: []StreamReport{}}
	var streams []StreamStatus
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		streams, err = Streams(ctx, tx)
		return err
	}); err != nil {
		return nil, err
	}
	for _, s := range streams {
		ss := StreamReport{StreamStatus: s}
		if until, err := time.Parse(time.RFC3339, s.ValidUntil); err == nil {
			left := until.Sub(now)
			ss.DaysLeft = int(engine.WholeDays(now, until))
			switch {
			case left < 0:
				ss.Expired, ss.DaysLeft = true, 0
				ss.Warning = fmt.Sprintf("bundle %d of stream %q expired at %s: import a newer one", s.Sequence, s.Stream, s.ValidUntil)
			case left < ExpiryWarning:
				ss.Warning = ExpiryMessage(s.Stream, s.Sequence, s.ValidUntil, left)
			}
		}
		if ss.Warning != "" {
			out.Warnings = append(out.Warnings, ss.Warning)
		}
		out.Streams = append(out.Streams, ss)
	}
	if s, at, ok := LatestAnchor(streams); ok {
		out.LatestAnchor = s.TimeAnchor
		if at.Sub(now) > attest.MaxClockSkew {
			out.ClockBehind = true
			out.Warnings = append(out.Warnings, fmt.Sprintf("the clock (%s) is behind the signed time anchor %s of stream %q: runs are refused unless given --as-of", out.CheckedAt, s.TimeAnchor, s.Stream))
		}
	}
	return out, nil
}
