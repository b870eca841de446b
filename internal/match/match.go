// Package match owns the join of components with advisories and VEX
// statements: which (component, advisory) pairs are affected, by which range,
// with aliases folded, and which VEX statements attach to each pair — plus
// the report of statements that attached to nothing.
package match

import "github.com/stella-policy/stella/internal/model"

// Pair is one component affected by one advisory (after alias folding).
type Pair struct {
	Component *model.Component
	Advisory  *model.Advisory // the primary record of the folded group
	Aliases   []string        // every other id of the group (record ids and aliases), sorted
	Range     string          // the range or versions-list entry that matched, for explain
	VEX       []*model.VEXStatement
}

// Unmatched is a VEX statement that attached to no pair, and why.
type Unmatched struct {
	Statement *model.VEXStatement
	Reason    string // unknown_product, qualifier_mismatch, version_mismatch, unknown_vulnerability
	Detail    string
}

// Result is the outcome of a join. Pairs are sorted by component purl, then
// advisory id; Unmatched by statement id.
type Result struct {
	Pairs     []Pair
	Unmatched []Unmatched
	Warnings  []string // e.g. counts of GIT ranges ignored, withdrawn advisories skipped
}
