package inspect

import (
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/snapshot"
)

// MatchSpec is what `stella match` joins: SBOM files, OSV advisories (files,
// directories or zips) and VEX documents.
type MatchSpec struct{ SBOMs, Advisories, VEX []string }

// Matches is the output of `stella match`.
type Matches struct {
	Matches   []MatchRow     `json:"matches"`
	VEXReport []VEXReportRow `json:"vexReport"`
	Warnings  []string       `json:"warnings"`
}

// MatchRow is one (component, vulnerability) finding.
type MatchRow struct {
	Purl       string     `json:"purl"`
	Ecosystem  string     `json:"ecosystem"`
	Name       string     `json:"name"` // the OSV package name
	Version    string     `json:"version"`
	AdvisoryID string     `json:"advisoryId"`
	Aliases    []string   `json:"aliases"`
	Records    []string   `json:"records"` // advisory records that matched
	Range      string     `json:"range"`
	Ref        string     `json:"ref"` // the component's bom-ref or SPDXID
	VEX        []MatchVEX `json:"vex,omitempty"`
}

// MatchVEX is a VEX statement attached to a finding.
type MatchVEX struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	Document      string `json:"document,omitempty"`
}

// VEXReportRow is a VEX statement that applied to no finding, and why.
type VEXReportRow struct {
	Statement     string `json:"statement"`
	Document      string `json:"document,omitempty"`
	Vulnerability string `json:"vulnerability"`
	Reason        string `json:"reason"`
	Detail        string `json:"detail"`
}

// Match freezes the files and joins them (docs/conformance.md): every
// component with the advisories whose ranges include its version, aliases
// folded, with the VEX statements that apply; statements that apply to
// nothing go to the VEX match report.
func Match(spec MatchSpec) (*Matches, error) {
	if len(spec.SBOMs) == 0 {
		return nil, fail.New(fail.Invalid, "--sbom is required")
	}
	if len(spec.Advisories) == 0 {
		return nil, fail.New(fail.Invalid, "--advisories is required (an OSV file, directory or zip)")
	}
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: spec.SBOMs, Advisories: spec.Advisories, VEX: spec.VEX})
	if err != nil {
		return nil, err
	}
	res, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		return nil, err
	}
	out := &Matches{Matches: []MatchRow{}, VEXReport: []VEXReportRow{}, Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, p := range res.Pairs {
		c := p.Component
		row := MatchRow{
			Purl: c.Purl, Ecosystem: c.Ecosystem, Name: c.Package, Version: c.Version,
			AdvisoryID: p.Advisory.ID, Aliases: p.Aliases, Records: p.Records, Range: p.Range, Ref: c.Ref,
		}
		if row.Aliases == nil {
			row.Aliases = []string{}
		}
		for _, s := range p.VEX {
			row.VEX = append(row.VEX, MatchVEX{ID: s.ID, Status: s.Status, Justification: s.Justification,
				Issuer: s.Issuer, Timestamp: s.Timestamp, Document: s.Document})
		}
		out.Matches = append(out.Matches, row)
	}
	for _, u := range res.Unmatched {
		out.VEXReport = append(out.VEXReport, VEXReportRow{Statement: u.Statement.ID, Document: u.Statement.Document,
			Vulnerability: u.Statement.Vulnerability, Reason: u.Reason, Detail: u.Detail})
	}
	return out, nil
}
