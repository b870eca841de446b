package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/snapshot"
)

// inputFlags are the flags that name raw inputs, shared by the commands that
// freeze or read them (snapshot create, policy simulate), bound into
// feeds.Inputs.
type inputFlags struct {
	feeds.Inputs
}

// AddFlags registers the input flags on fs.
func (f *inputFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.SBOMs, "sbom", nil, "SBOM file, CycloneDX or SPDX JSON (repeatable)")
	fs.StringArrayVar(&f.Advisories, "advisories", nil, "OSV advisories: a file, a directory tree or a zip (repeatable)")
	fs.StringArrayVar(&f.VEX, "vex", nil, "VEX document: OpenVEX, CycloneDX VEX or CSAF (repeatable)")
	fs.StringArrayVar(&f.NVD, "nvd", nil, "NVD CVE API 2.0 JSON for severity resolution: a file (may be gzipped) or a directory of them, as published (repeatable)")
	fs.StringVar(&f.EPSS, "epss", "", "EPSS scores CSV (may be gzipped)")
	fs.StringVar(&f.KEV, "kev", "", "CISA KEV catalog JSON")
	fs.StringArrayVar(&f.Signals, "signals", nil, "EPSS scores or a KEV catalog, detected by content (repeatable; at most one of each)")
	fs.StringArrayVar(&f.Reachability, "reachability", nil, "reachability facts, stella.reachability/v1 JSON (repeatable)")
	fs.StringArrayVar(&f.Exceptions, "exceptions", nil, "exceptions file, YAML or JSON (repeatable); snapshot create also takes \"approved\": the database's approved, unexpired exceptions")
	fs.StringVar(&f.SBOMFormat, "sbom-format", "", "read every --sbom as this format instead of detecting it: cyclonedx|spdx")
	fs.StringVar(&f.VEXFormat, "vex-format", "", "read every --vex as this format instead of detecting it: openvex|cyclonedx|csaf")
	fs.BoolVar(&f.SkipInvalid, "skip-invalid", false, "leave out malformed OSV records (listed as skipped) instead of failing")
	fs.Int64Var(&f.MaxInputSize, "max-input-size", snapshot.DefaultMaxInputSize, "largest input file accepted, in bytes (after decompression)")
	fs.StringArrayVar(&f.Feeds, "feeds", nil, "read cached feeds (stella feeds pull): --feeds for all, or --feeds=osv/PyPI,kev for the named ones")
	fs.Lookup("feeds").NoOptDefVal = feeds.All
	fs.StringVar(&f.CacheDir, "cache-dir", "", "feed cache directory for --feeds (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
}

// inputs are the inputs the flags name, with the places configuration
// resolves: the feed cache, the frozen-advisory cache, the progress bar.
func (f *inputFlags) inputs(app *App) feeds.Inputs {
	in := f.Inputs
	in.CacheDir, in.Frozen, in.Progress = app.feedCacheDir(f.CacheDir), app.frozenCacheDir(), report.ProgressBar(app.Err, app.showProgress(), false)
	return in
}

type snapshotCreateOptions struct {
	in  inputFlags
	dir string
}

func newSnapshotCreateCmd(app *App) *cobra.Command {
	opts := &snapshotCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --sbom FILE… [--advisories PATH…] [--vex FILE…] [--nvd PATH…] [--epss FILE] [--kev FILE] [--signals FILE…] [--reachability FILE…] [--exceptions FILE…] [-o DIR]",
		Short: "Freeze inputs into a content-addressed snapshot and print its id",
		Long: `Reads every input (formats are detected by content), normalizes it, and
writes a snapshot directory: manifest.json, the normalized content as
canonical JSON and an advisory index. The snapshot id is the sha256 of the
canonical manifest content, so the same inputs give the same id whatever
their order, file names or formatting.

--exceptions approved freezes the tenant's currently approved, unexpired
exceptions from the database (those a trust config in force counts; one
scoped to a policy keeps its scope and applies to that policy's runs only)
with the signed request and approval each rests on, which policy run
verifies; a bundle of the snapshot carries them (docs/governance.md,
"How exceptions reach evaluations").

Without -o the snapshot is written to the snapshots directory beside the
database (see "stella snapshot ls"). Nothing is written when an input is
invalid (exit 2).`,
		Args: noArgs,
		RunE: runE(app, opts, runSnapshotCreate),
	}
	opts.in.AddFlags(cmd.Flags())
	cmd.Flags().StringVarP(&opts.dir, "out-dir", "o", "", "write the snapshot to this directory (default: <snapshots dir>/<id hex>)")
	return cmd
}

// approvedExceptions reads the tenant's approved, unexpired exceptions at
// now with the signed statements they rest on (governance
// FrozenExceptions), as an exceptions document to freeze.
func (a *App) approvedExceptions(ctx context.Context, now time.Time) func() ([]byte, error) {
	return func() ([]byte, error) {
		reg, err := a.site().Registry(ctx, "", true)
		if err != nil {
			return nil, err
		}
		defer reg.Store.Close()
		data, n, err := reg.FrozenExceptionsDoc(ctx, now)
		if err == nil {
			a.infof("stella: --exceptions approved: %d approved, unexpired exceptions from the database", n)
		}
		return data, err
	}
}

func runSnapshotCreate(ctx context.Context, app *App, opts *snapshotCreateOptions, _ []string) error {
	now := time.Now()
	out, err := opts.in.inputs(app).Create(opts.dir, app.snapshots("").Root(), now, app.approvedExceptions(ctx, now))
	if err != nil {
		return app.inputError(err)
	}
	report.Problems(app.info(), "warning", out.Warnings)
	report.Problems(app.info(), "skipped", out.Skipped)
	if app.Global.Quiet && app.Format() == "table" {
		_, err := fmt.Fprintln(app.Out, out.ID)
		return err
	}
	return app.render(out, func(w io.Writer) error { return report.SnapshotCreated(w, out) })
}

// inputError prints an input error one problem per line and exits with
// its code; other errors pass through.
func (a *App) inputError(err error) error {
	if k, ok := report.InputError(a.Err, err); ok {
		return fail.Reported(k)
	}
	return err
}

// info is where status lines go: stderr, or nowhere with --quiet (as infof).
func (a *App) info() io.Writer {
	if a.Global.Quiet {
		return io.Discard
	}
	return a.Err
}

// showProgress says whether long reads draw a progress bar: on a terminal,
// unless --quiet.
func (a *App) showProgress() bool { return a.ErrTTY && !a.Global.Quiet }
