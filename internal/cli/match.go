package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/snapshot"
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
unknown_vulnerability); --vex-strict makes them an error (exit code 2).

The rules are in docs/conformance.md. --format json (and yaml) print an
object {"matches", "vexReport", "warnings"}; ndjson prints one match per line
and the report on stderr; table prints the matches and the report.

Examples:
  stella match --sbom app.cdx.json --advisories osv/ --format json
  stella match --sbom a.spdx.json --sbom b.cdx.json --advisories all.zip --vex vex.json --vex-strict`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return runMatch(app, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.sboms, "sbom", nil, "SBOM file: CycloneDX or SPDX JSON (repeatable)")
	f.StringArrayVar(&opts.advisories, "advisories", nil, "OSV advisories: a file, a directory or a zip (repeatable)")
	f.StringArrayVar(&opts.vex, "vex", nil, "VEX document: OpenVEX, CycloneDX VEX or CSAF (repeatable)")
	f.BoolVar(&opts.vexStrict, "vex-strict", false, "fail (exit 2) when a VEX statement applies to no finding")
	return cmd
}

// matchRow is one (component, vulnerability) finding in the output.
type matchRow struct {
	Purl       string     `json:"purl"`
	Ecosystem  string     `json:"ecosystem"`
	Name       string     `json:"name"` // the OSV package name
	Version    string     `json:"version"`
	AdvisoryID string     `json:"advisoryId"`
	Aliases    []string   `json:"aliases"`
	Records    []string   `json:"records"` // advisory records that matched
	Range      string     `json:"range"`
	Ref        string     `json:"ref"` // the component's bom-ref or SPDXID
	VEX        []matchVEX `json:"vex,omitempty"`
}

// matchVEX is a VEX statement attached to a finding.
type matchVEX struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	Document      string `json:"document,omitempty"`
}

// vexReportRow is a statement that applied to no finding.
type vexReportRow struct {
	Statement     string `json:"statement"`
	Document      string `json:"document,omitempty"`
	Vulnerability string `json:"vulnerability"`
	Reason        string `json:"reason"`
	Detail        string `json:"detail"`
}

type matchOutput struct {
	Matches   []matchRow     `json:"matches"`
	VEXReport []vexReportRow `json:"vexReport"`
	Warnings  []string       `json:"warnings"`
}

func runMatch(app *App, opts *matchOptions) error {
	if len(opts.sboms) == 0 {
		return fail.New(fail.Invalid, "--sbom is required")
	}
	if len(opts.advisories) == 0 {
		return fail.New(fail.Invalid, "--advisories is required (an OSV file, directory or zip)")
	}
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: opts.sboms, Advisories: opts.advisories, VEX: opts.vex})
	if err != nil {
		return err
	}
	res, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		return err
	}
	out := matchOutput{Matches: []matchRow{}, VEXReport: []vexReportRow{}, Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, p := range res.Pairs {
		c := p.Component
		row := matchRow{
			Purl: c.Purl, Ecosystem: c.Ecosystem, Name: c.Package, Version: c.Version,
			AdvisoryID: p.Advisory.ID, Aliases: p.Aliases, Records: p.Records, Range: p.Range, Ref: c.Ref,
		}
		if row.Aliases == nil {
			row.Aliases = []string{}
		}
		for _, s := range p.VEX {
			row.VEX = append(row.VEX, matchVEX{ID: s.ID, Status: s.Status, Justification: s.Justification,
				Issuer: s.Issuer, Timestamp: s.Timestamp, Document: s.Document})
		}
		out.Matches = append(out.Matches, row)
	}
	for _, u := range res.Unmatched {
		out.VEXReport = append(out.VEXReport, vexReportRow{Statement: u.Statement.ID, Document: u.Statement.Document,
			Vulnerability: u.Statement.Vulnerability, Reason: u.Reason, Detail: u.Detail})
	}

	if app.Format() == "ndjson" {
		err = writeNDJSON(app.Out, out.Matches)
		if err == nil {
			reportToStderr(app, out)
		}
	} else {
		err = app.render(out, func(w io.Writer) error { return matchTable(app, w, out) })
		if err == nil && app.Format() == "table" {
			for _, w := range out.Warnings {
				app.infof("warning: %s", w)
			}
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

// reportToStderr writes the VEX match report and the warnings as text.
func reportToStderr(app *App, out matchOutput) {
	for _, r := range out.VEXReport {
		app.infof("vex: statement %s (%s): %s: %s", r.Statement, r.Vulnerability, r.Reason, r.Detail)
	}
	for _, w := range out.Warnings {
		app.infof("warning: %s", w)
	}
}

func matchTable(app *App, w io.Writer, out matchOutput) error {
	t := app.newTable(w, "PURL", "ADVISORY", "ALIASES", "RANGE", "VEX")
	for _, m := range out.Matches {
		var vex []string
		for _, s := range m.VEX {
			vex = append(vex, s.Status)
		}
		if err := t.Append(m.Purl, m.AdvisoryID, strings.Join(m.Aliases, " "), m.Range, strings.Join(vex, " ")); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%d findings\n", len(out.Matches)); err != nil {
		return err
	}
	if len(out.VEXReport) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\nVEX match report: %d statements apply to no finding\n", len(out.VEXReport)); err != nil {
		return err
	}
	r := app.newTable(w, "STATEMENT", "VULNERABILITY", "REASON", "DETAIL")
	for _, u := range out.VEXReport {
		if err := r.Append(u.Statement, u.Vulnerability, u.Reason, u.Detail); err != nil {
			return err
		}
	}
	return r.Render()
}
