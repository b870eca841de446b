package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

type matchOptions struct {
	sboms      []string
	advisories []string
	vex        []string
	vexStrict  bool
	cacheDir   string
}

func newMatchCmd(app *App) *cobra.Command {
	opts := &matchOptions{}
	cmd := &cobra.Command{
		Use:   "match --sbom FILE... [--advisories PATH...] [--vex FILE...]",
		Short: "Join SBOM components with OSV advisories and VEX statements",
		Long: `Match every component of the SBOMs with the OSV advisories whose affected
ranges include its version, fold advisories that are aliases of each other
into one finding, and attach the VEX statements that apply to each finding.
Statements that apply to nothing are listed in a VEX match report with the
reason (unknown_product, qualifier_mismatch, version_mismatch,
unknown_vulnerability, other_bom: a BOM-Link naming another SBOM);
--vex-strict makes them an error (exit code 2). Without --advisories, the
OSV feeds of the feed cache are read (stella feeds pull; docs/feeds.md), as
policy simulate does, and named on stderr.

The rules are in docs/conformance.md. --format json (and yaml) print an
object {"matches", "vexReport", "warnings"}; ndjson prints one match per line
and the report on stderr; table prints the matches and the report.

Examples:
  stella match --sbom app.cdx.json --advisories osv/ --format json
  stella match --sbom a.spdx.json --sbom b.cdx.json --advisories all.zip --vex vex.json --vex-strict`,
		Args: noArgs,
		RunE: runE(app, opts, runMatch),
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.sboms, "sbom", nil, "SBOM file: CycloneDX or SPDX JSON (repeatable)")
	f.StringArrayVar(&opts.advisories, "advisories", nil, "OSV advisories: a file, a directory or a zip (repeatable)")
	f.StringArrayVar(&opts.vex, "vex", nil, "VEX document: OpenVEX, CycloneDX VEX or CSAF (repeatable)")
	f.BoolVar(&opts.vexStrict, "vex-strict", false, "fail (exit 2) when a VEX statement applies to no finding")
	f.StringVar(&opts.cacheDir, "cache-dir", "", "feed cache directory read without --advisories (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
	return cmd
}

func runMatch(_ context.Context, app *App, opts *matchOptions, _ []string) error {
	advisories := opts.advisories
	if len(advisories) == 0 && len(opts.sboms) > 0 {
		var err error
		if advisories, err = cachedAdvisories(app, opts.cacheDir); err != nil {
			return err
		}
	}
	out, err := run.Match(run.MatchSpec{SBOMs: opts.sboms, Advisories: advisories, VEX: opts.vex})
	if err != nil {
		return err
	}
	if app.Format() == "ndjson" {
		// One match per line on stdout; the report and warnings as text on stderr.
		if err = report.Value(app.Out, "ndjson", out.Matches); err == nil {
			report.MatchNotes(app.info(), out, true)
		}
	} else {
		err = app.render(out, func(w io.Writer) error { return report.MatchTable(w, out, app.OutTTY) })
		if err == nil && app.Format() == "table" {
			report.MatchNotes(app.info(), out, false)
		}
	}
	if err != nil {
		return err
	}
	if opts.vexStrict && len(out.VEXReport) > 0 {
		return fail.New(fail.Invalid, "%d VEX statements apply to no finding (--vex-strict); see the VEX match report", len(out.VEXReport))
	}
	return nil
}

// cachedAdvisories are the OSV archives of the feed cache (docs/feeds.md
// "Using the cache"), each re-hashed against its metadata; none is an error
// saying how to get some.
func cachedAdvisories(app *App, dir string) ([]string, error) {
	cache := feeds.Open(app.feedCacheDir(dir))
	var sp snapshot.Spec
	used, err := cache.Freeze([]string{feeds.Auto}, &sp)
	if err != nil {
		return nil, err
	}
	var osv []feeds.Meta
	for _, m := range used {
		if m.Kind == feeds.OSV {
			osv = append(osv, m)
		}
	}
	if len(osv) == 0 {
		return nil, fail.New(fail.Invalid, "--advisories is required when the feed cache (%s) holds no OSV feed: give --advisories PATH, or pull some first: %s", cache.Root, feeds.PullHint)
	}
	app.infof("stella: no --advisories: using the cached feeds in %s: %s", cache.Root, feeds.Ages(osv, time.Now()))
	return sp.Advisories, nil
}
