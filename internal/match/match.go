// Package match owns the join of components with advisories and VEX
// statements: which (component, advisory) pairs are affected, by which range,
// with aliases folded, and which VEX statements attach to each pair — plus
// the report of statements that attached to nothing.
//
// The API is one call:
//
//	res, err := match.Join(inputs, match.Options{})
//
// res.Pairs lists every affected (component, vulnerability) pair, sorted by
// component purl then advisory id; each carries the primary advisory record,
// the other ids of its alias group, the matched records, the range that
// matched and the attached VEX statements (ordered by timestamp, issuer, id).
// res.Unmatched is the VEX match report: every statement that attached to no
// pair, with a reason (UnknownProduct, QualifierMismatch, VersionMismatch,
// UnknownVulnerability) and a human-readable detail. res.Warnings counts what
// was skipped (withdrawn advisories, GIT ranges, unevaluable ranges).
//
// Pairs point into the inputs (components, advisories, statements) and must
// be treated as read-only; Join never modifies its inputs. The rules are
// documented on Join and attachVEX and in docs/conformance.md. Matching uses
// an index keyed by (ecosystem, normalized package name), so the cost grows
// with the number of components and of advisories naming their packages, not
// with their product.
package match

import (
	"cmp"

	"github.com/stella-policy/stella/internal/model"
)

// Pair is one component affected by one advisory (after alias folding).
type Pair struct {
	Component *model.Component
	Advisory  *model.Advisory // the primary record of the folded group
	Aliases   []string        // every other id of the group (record ids and aliases), sorted
	Records   []string        // ids of the group's advisory records that matched this component, sorted (Advisory.ID among them)
	// Group is every advisory record of the inputs in the alias group,
	// matched or not (withdrawn ones left out), sorted by id: where
	// severity resolution looks for another record's CVSS or label
	// (docs/dsl.md "Severity resolution").
	Group []*model.Advisory
	Range string // the range or versions-list entry that matched, for explain
	// CaseInsensitive is set when every matched record names the package
	// with a module path that differs from the component's only in case
	// (Join: a lowercased Go path).
	CaseInsensitive bool
	VEX             []*model.VEXStatement
}

// Unmatched is a VEX statement that attached to no pair, and why.
type Unmatched struct {
	Statement *model.VEXStatement
	Reason    string // unknown_product, qualifier_mismatch, version_mismatch, unknown_vulnerability, other_bom
	Detail    string
}

// Result is the outcome of a join. Pairs are sorted by component purl, then
// advisory id; Unmatched by statement id.
type Result struct {
	Pairs     []Pair
	Unmatched []Unmatched
	Warnings  []string // e.g. counts of GIT ranges ignored, withdrawn advisories skipped
	// Notices are the warnings a reader of the verdict must see (the CLI
	// prints them on stderr): VEX statements not applied because their
	// BOM-Links name other SBOMs. They are among Warnings.
	Notices []string
	// NoVersion holds the components without a version whose package
	// advisories name, so that none could be compared (NoVersionKey);
	// InvalidVersion those whose version is no version of their ecosystem
	// (version.Check) and fell in no range. internal/run counts both as not
	// checked (docs/output.md "Coverage").
	NoVersion, InvalidVersion map[string]bool
}

// NoVersionKey is a component's key in Result.NoVersion and
// Result.InvalidVersion: its purl, or its
// OSV ecosystem and package when it has none.
func NoVersionKey(c *model.Component) string {
	_, eco, pkg, _ := identity(c)
	return cmp.Or(c.Purl, eco+"/"+pkg)
}
