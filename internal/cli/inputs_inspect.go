package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/snapshot"
)

type inputsInspectOptions struct {
	snapshot.InspectOptions
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
		RunE: runE(app, opts, runInputsInspect),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Kind, "kind", "", "expect this kind: sbom|advisories|vex|epss|kev|reachability|exceptions")
	f.StringVar(&opts.As, "as", "", "read as this format instead of detecting it: cyclonedx|spdx|osv|openvex|csaf|epss|kev|stella-reachability|stella-exceptions")
	f.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "leave out malformed OSV records instead of failing")
	f.Int64Var(&opts.MaxInputSize, "max-input-size", snapshot.DefaultMaxInputSize, "largest input file accepted, in bytes (after decompression)")
	f.BoolVar(&opts.Content, "content", false, "include the normalized content (json and yaml output)")
	return cmd
}

func runInputsInspect(_ context.Context, app *App, opts *inputsInspectOptions, files []string) error {
	o := opts.InspectOptions
	o.Progress = report.ProgressBar(app.Err, app.showProgress(), false)
	out, err := snapshot.Inspect(files, o)
	if err != nil {
		return err
	}
	failed := report.InspectErrors(app.Err, out)
	if err := app.render(out, func(w io.Writer) error { return report.InputsInspect(w, out, app.tableOptions()) }); err != nil {
		return err
	}
	if failed > 0 {
		return fail.Reported(fail.Invalid)
	}
	return nil
}
