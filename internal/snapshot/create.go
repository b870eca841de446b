package snapshot

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// Created is what `stella snapshot create` reports.
type Created struct {
	ID       string           `json:"id"`
	Path     string           `json:"path"`
	Created  bool             `json:"created"` // false when the directory already held this snapshot
	Stats    Stats            `json:"stats"`
	Warnings []inputs.Problem `json:"warnings,omitempty"`
	Skipped  []inputs.Problem `json:"skipped,omitempty"`
}

// CreateIn freezes spec's inputs and writes the snapshot to dir, or, when
// dir is "", to root/<id hex>. Writing a snapshot where it already is
// changes nothing (Created false); a directory whose manifest names the
// snapshot but whose files do not verify is an integrity error, left as
// it is.
func CreateIn(spec Spec, dir, root string) (*Created, error) {
	s, err := FromFiles(spec)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Join(root, canon.Short(s.ID(), 64))
	}
	existed := false
	if m, err := readManifest(os.DirFS(dir)); err == nil && m.ID == s.ID() {
		if _, err := OpenDir(dir); err != nil {
			return nil, err
		}
		existed = true
	}
	if err := s.Write(dir); err != nil {
		return nil, err
	}
	out := &Created{ID: s.ID(), Path: dir, Created: !existed, Stats: s.Manifest.Content.Stats, Warnings: s.Manifest.Warnings}
	for _, src := range s.Manifest.Sources {
		out.Warnings = append(out.Warnings, src.Warnings...)
		out.Skipped = append(out.Skipped, src.Skipped...)
	}
	return out, nil
}

// Shown is what `stella snapshot show` reports.
type Shown struct {
	ID       string           `json:"id"`
	Path     string           `json:"path"`
	Inputs   []Input          `json:"inputs"`
	Stats    Stats            `json:"stats"`
	Digests  Digests          `json:"digests"`
	Sources  []Source         `json:"sources"`
	Feeds    []Feed           `json:"feeds,omitempty"` // provenance of cached feeds frozen in (docs/feeds.md)
	Warnings []inputs.Problem `json:"warnings,omitempty"`
	NoPurl   []NoPurl         `json:"componentsWithoutPurl"`
}

// NoPurl is a component without a purl: it cannot match advisories.
type NoPurl struct {
	SBOM    string `json:"sbom"`
	Ref     string `json:"ref"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Show verifies that the advisory index covers the advisories exactly and
// returns what the snapshot holds; path is where it was read from.
func (s *Snapshot) Show(path string) (*Shown, error) {
	if err := s.Index.Verify(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	m := s.Manifest
	out := &Shown{ID: m.ID, Path: path, Inputs: m.Content.Inputs, Stats: m.Content.Stats, Digests: s.Digests,
		Sources: m.Sources, Feeds: m.Content.Feeds, Warnings: m.Warnings, NoPurl: []NoPurl{}}
	if out.Sources == nil {
		out.Sources = []Source{}
	}
	for _, sb := range s.Inputs.SBOMs {
		for _, c := range sb.Components {
			if c.Purl == "" {
				out.NoPurl = append(out.NoPurl, NoPurl{SBOM: sb.Name, Ref: c.Ref, Name: c.Name, Version: c.Version})
			}
		}
	}
	return out, nil
}

// Request is the raw inputs as the commands name them (--sbom, --advisories,
// …, docs/inputs.md): forced formats and the size limit as given.
type Request struct {
	SBOMs, Advisories, VEX, NVD, Signals, Reachability, Exceptions []string
	EPSS, KEV                                                      string
	SBOMFormat, VEXFormat                                          string // "": detect
	SkipInvalid                                                    bool
	MaxInputSize                                                   int64
}

// Spec checks r and names its inputs; the caller adds what is not a file
// (Progress, Cache, Feeds, Docs).
func (r Request) Spec() (Spec, error) {
	sp := Spec{SBOMs: r.SBOMs, Advisories: r.Advisories, VEX: r.VEX, NVD: r.NVD, EPSS: r.EPSS, KEV: r.KEV, Signals: r.Signals,
		Reachability: r.Reachability, Exceptions: r.Exceptions, SkipInvalid: r.SkipInvalid, Limits: inputs.Limits{MaxFileBytes: r.MaxInputSize}}
	if r.MaxInputSize <= 0 {
		return sp, fail.New(fail.Invalid, "--max-input-size must be positive")
	}
	var err error
	if r.SBOMFormat != "" {
		if sp.SBOMFormat, err = inputs.ParseFormat(r.SBOMFormat, inputs.KindSBOM); err != nil {
			return sp, fmt.Errorf("--sbom-format: %w", err)
		}
	}
	if r.VEXFormat != "" {
		if sp.VEXFormat, err = inputs.ParseFormat(r.VEXFormat, inputs.KindVEX); err != nil {
			return sp, fmt.Errorf("--vex-format: %w", err)
		}
	}
	return sp, nil
}

// DefaultMaxInputSize is the largest input file, in bytes after
// decompression, a snapshot reads unless a Request says otherwise.
var DefaultMaxInputSize = inputs.DefaultLimits.MaxFileBytes
