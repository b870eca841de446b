package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type matchOptions struct {
	sboms      []string
	advisories []string
	vex        []string
	vexStrict  bool
}

func newMatchCmd(app *App) *cobra.Command {
	opts := &matchOptions{}
	cmd := &cobra.Command{
		Use:   "match --sbom FILE... --advisories PATH... [--vex FILE...]",
		Short: "Join SBOM components with OSV advisories and VEX statements",
		Long: `Match every component of the SBOMs with the OSV advisories whose affected
ranges include its version, fold advisories that are aliases of each other
into one finding, and attach the VEX statements that apply to each finding.
Statements that apply to nothing are listed in a VEX match report with the
reason (unknown_product, qualifier_mismatch, version_mismatch,
unknown_vulnerability, other_bom: a BOM-Link naming another SBOM);
--vex-strict makes them an error (exit code 2).

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
	return cmd
}

func runMatch(_ context.Context, app *App, opts *matchOptions, _ []string) error {
	out, err := run.Match(run.MatchSpec{SBOMs: opts.sboms, Advisories: opts.advisories, VEX: opts.vex})
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
