package report

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/text"
)

// resultWarnings are the warnings every rendering of a result lists (table
// notes, markdown, SARIF notifications, JUnit, HTML): the result's own,
// then the VEX statements that missed (vexMisses), which only --format
// json lists otherwise (docs/output.md "VEX statements that applied to no
// finding").
func resultWarnings(r *engine.Result) []string {
	m := vexMisses(r)
	if m == "" {
		return r.Warnings
	}
	return append(slices.Clip(r.Warnings), m)
}

// mostVEXMisses is how many missed statements vexMisses names.
const mostVEXMisses = 5

// vexMisses says which VEX statements about a vulnerability of the
// result's findings applied to none of them — they name a product not in
// the SBOMs, another version of the component, other purl qualifiers — so
// those findings kept their VEX status: a user who meant the statement for
// them must see it did not count. Statements about vulnerabilities no
// finding has (a vendor document covering other CVEs) are left out, and so
// are those a BOM-Link sent to another SBOM (a warning of their own).
func vexMisses(r *engine.Result) string {
	var ms []string
	for _, u := range r.VEXMatchReport {
		switch u.Reason {
		case match.UnknownProduct, match.VersionMismatch, match.QualifierMismatch:
			m := u.Vulnerability + " " + u.Reason
			if u.Detail != "" {
				m += " (" + u.Detail + ")"
			}
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return ""
	}
	return text.Count(len(ms), "VEX statement", "VEX statements") + " about vulnerabilities of these findings applied to none of them (vexMatchReport in --format json): " +
		strings.Join(text.First(ms, mostVEXMisses), "; ")
}
