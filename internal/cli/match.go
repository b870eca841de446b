package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type matchOptions struct {
	run.MatchSpec
	vexStrict bool
	cacheDir  string
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
	f.StringArrayVar(&opts.SBOMs, "sbom", nil, "SBOM file: CycloneDX or SPDX JSON (repeatable)")
	f.StringArrayVar(&opts.Advisories, "advisories", nil, "OSV advisories: a file, a directory or a zip (repeatable)")
	f.StringArrayVar(&opts.VEX, "vex", nil, "VEX document: OpenVEX, CycloneDX VEX or CSAF (repeatable)")
	f.BoolVar(&opts.vexStrict, "vex-strict", false, "fail (exit 2) when a VEX statement applies to no finding")
	f.StringVar(&opts.cacheDir, "cache-dir", "", "feed cache directory read without --advisories (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
	return cmd
}

func runMatch(_ context.Context, app *App, opts *matchOptions, _ []string) error {
	if len(opts.Advisories) == 0 && len(opts.SBOMs) > 0 {
		cached, err := feeds.Open(app.feedCacheDir(opts.cacheDir)).Advisories()
		if err != nil {
			return err
		}
		app.infof("%s", cached.Notice(time.Now()))
		opts.Advisories = cached.Advisories
	}
	out, err := run.Match(opts.MatchSpec)
	if err != nil {
		return err
	}
	if err := report.Matches(app.Out, app.info(), app.Format(), out, app.OutTTY); err != nil {
		return err
	}
	return out.CheckVEX(opts.vexStrict)
}
