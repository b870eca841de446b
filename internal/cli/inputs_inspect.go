package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
)

type inputsInspectOptions struct {
	kind         string
	as           string
	skipInvalid  bool
	maxInputSize int64
	content      bool
}

func newInputsInspectCmd(app *App) *cobra.Command {
	opts := &inputsInspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect FILE…",
		Short: "Show what stella reads from input files: format, counts, warnings",
		Long: `Reads each file as snapshot create would — detecting its format by content
unless --as forces one — and reports what was parsed: kind, format and
version, raw and normalized digests, counts, warnings (components without a
purl, ignored statements, …) and records skipped with --skip-invalid.
--content also prints the normalized content itself.

Every file is inspected; if any cannot be read, its error is printed and the
exit code is 2.`,
		Args: minArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runInputsInspect(app, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.kind, "kind", "", "expect this kind: sbom|advisories|vex|epss|kev|reachability|exceptions")
	f.StringVar(&opts.as, "as", "", "read as this format instead of detecting it: cyclonedx|spdx|osv|openvex|csaf|epss|kev|stella-reachability|stella-exceptions")
	f.BoolVar(&opts.skipInvalid, "skip-invalid", false, "leave out malformed OSV records instead of failing")
	f.Int64Var(&opts.maxInputSize, "max-input-size", inputs.DefaultLimits.MaxFileBytes, "largest input file accepted, in bytes (after decompression)")
	f.BoolVar(&opts.content, "content", false, "include the normalized content (json and yaml output)")
	return cmd
}

// inspected is what inputs inspect reports for one file.
type inspected struct {
	*inputs.Input
	Digest  string        `json:"digest,omitempty"` // normalized (snapshot.InputDigest)
	Counts  inputs.Counts `json:"counts"`
	Content any           `json:"content,omitempty"`
	Error   *inputs.Error `json:"error,omitempty"`
}

func runInputsInspect(app *App, opts *inputsInspectOptions, files []string) error {
	kind := inputs.Kind(opts.kind)
	if kind != "" && !slices.Contains(inputs.Kinds, kind) {
		return fail.New(fail.Invalid, "unknown --kind %q", opts.kind)
	}
	var format inputs.Format
	if opts.as != "" {
		var err error
		if format, err = inputs.ParseFormat(opts.as, kind); err != nil {
			return fmt.Errorf("--as: %w", err)
		}
	}
	if opts.maxInputSize <= 0 {
		return fail.New(fail.Invalid, "--max-input-size must be positive")
	}
	out := make([]inspected, 0, len(files))
	failed := 0
	for _, f := range files {
		in, err := inputs.Read(f, inputs.Options{Kind: kind, Format: format, SkipInvalid: opts.skipInvalid,
			Limits: inputs.Limits{MaxFileBytes: opts.maxInputSize}, Progress: app.progress()})
		if err != nil {
			failed++
			if app.inputError(err) == err {
				fmt.Fprintf(app.Err, "stella: %s\n", oneLine(err.Error()))
			}
			var ie *inputs.Error
			if !errors.As(err, &ie) {
				ie = &inputs.Error{Problems: []inputs.Problem{{File: f, Msg: err.Error()}}}
			}
			out = append(out, inspected{Input: &inputs.Input{Path: f}, Error: ie})
			continue
		}
		r := inspected{Input: in, Digest: snapshot.InputDigest(in), Counts: in.Counts()}
		if opts.content {
			r.Content = contentOf(in)
		}
		out = append(out, r)
	}
	err := app.render(out, func(w io.Writer) error { return inspectTable(app, w, out) })
	if err != nil {
		return err
	}
	if failed > 0 {
		return exitWith(fail.Invalid)
	}
	return nil
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

func inspectTable(app *App, w io.Writer, out []inspected) error {
	t := app.newTable(w, "FILE", "KIND", "FORMAT", "VERSION", "DIGEST", "CONTENT", "WARNINGS")
	for _, r := range out {
		if r.Error != nil {
			t.Append(r.Path, "", "", "", "", "error (see above)", "")
			continue
		}
		t.Append(r.Path, string(r.Kind), string(r.Format), r.SpecVersion, canon.Short(r.Digest, 12), countsText(r.Counts), len(r.Warnings))
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, r := range out {
		for _, p := range r.Warnings {
			fmt.Fprintf(w, "warning: %s\n", p)
		}
		for _, p := range r.Skipped {
			fmt.Fprintf(w, "skipped: %s\n", p)
		}
	}
	return nil
}
