package snapshot

import (
	"errors"
	"fmt"
	"slices"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// InspectOptions are the choices of `stella inputs inspect`.
type InspectOptions struct {
	Kind         string // expect this kind ("": any)
	As           string // read as this format instead of detecting it
	SkipInvalid  bool
	MaxInputSize int64
	Content      bool // include the normalized content
	Progress     inputs.Progress
}

// Inspected is what `stella inputs inspect` reports for one file.
type Inspected struct {
	*inputs.Input
	Digest  string        `json:"digest,omitempty"` // normalized (InputDigest)
	Counts  inputs.Counts `json:"counts"`
	Content any           `json:"content,omitempty"`
	Error   *inputs.Error `json:"error,omitempty"`
	err     error
}

// Err is why the file could not be read, as the reader said it.
func (r *Inspected) Err() error { return r.err }

// Inspect reads each file as a snapshot would and reports what was parsed;
// a file that cannot be read is reported with its error, and the others are
// still read. The error is for invalid options only.
func Inspect(files []string, o InspectOptions) ([]Inspected, error) {
	kind := inputs.Kind(o.Kind)
	if kind != "" && !slices.Contains(inputs.Kinds, kind) {
		return nil, fail.New(fail.Invalid, "unknown --kind %q", o.Kind)
	}
	var format inputs.Format
	if o.As != "" {
		var err error
		if format, err = inputs.ParseFormat(o.As, kind); err != nil {
			return nil, fmt.Errorf("--as: %w", err)
		}
	}
	if o.MaxInputSize <= 0 {
		return nil, fail.New(fail.Invalid, "--max-input-size must be positive")
	}
	out := make([]Inspected, 0, len(files))
	for _, f := range files {
		in, err := inputs.Read(f, inputs.Options{Kind: kind, Format: format, SkipInvalid: o.SkipInvalid,
			Limits: inputs.Limits{MaxFileBytes: o.MaxInputSize}, Progress: o.Progress})
		if err != nil {
			var ie *inputs.Error
			if !errors.As(err, &ie) {
				ie = &inputs.Error{Problems: []inputs.Problem{{File: f, Msg: err.Error()}}}
			}
			out = append(out, Inspected{Input: &inputs.Input{Path: f}, Error: ie, err: err})
			continue
		}
		r := Inspected{Input: in, Digest: InputDigest(in), Counts: in.Counts()}
		if o.Content {
			r.Content = contentOf(in)
		}
		out = append(out, r)
	}
	return out, nil
}

// contentOf returns the normalized content of an input.
func contentOf(in *inputs.Input) any {
	switch in.Kind {
	case inputs.KindSBOM:
		if len(in.VEX) > 0 {
			return map[string]any{"sbom": in.SBOM, "vex": in.VEX}
		}
		return in.SBOM
	case inputs.KindAdvisories:
		return in.Advisories
	case inputs.KindVEX:
		return in.VEX
	case inputs.KindNVD:
		return in.NVD
	case inputs.KindEPSS:
		return in.EPSS
	case inputs.KindKEV:
		return in.KEV
	case inputs.KindReach:
		return in.Reach
	}
	return in.Exceptions
}
