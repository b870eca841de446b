package engine

import (
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/text"
)

// Unchecked is the number of components no advisory could be checked
// against, in all ecosystems (0 for a nil Coverage).
func (c *Coverage) Unchecked() int {
	n := 0
	if c != nil {
		for _, e := range c.Ecosystems {
			n += e.Unchecked
		}
	}
	return n
}

// UncheckedCounts lists the ecosystems with unchecked components and how
// many, in ecosystem order: the summary's view of c.
func (c *Coverage) UncheckedCounts() []EcosystemCount {
	out := []EcosystemCount{}
	if c == nil {
		return out
	}
	for _, e := range c.Ecosystems {
		if e.Unchecked > 0 {
			out = append(out, EcosystemCount{e.Ecosystem, e.Unchecked})
		}
	}
	return out
}

// Components is the number of components c counts.
func (c *Coverage) Components() int {
	n := 0
	if c != nil {
		for _, e := range c.Ecosystems {
			n += e.Components
		}
	}
	return n
}

// NoPurl and the "purl:" prefix name the rows of components that have no
// OSV ecosystem (EcosystemCoverage.Ecosystem).
const (
	NoPurl     = "(no purl)"
	PurlPrefix = "purl:"
)

// Warning is the one warning about the components c leaves unchecked,
// naming each ecosystem and its count by reason; "" when there are none
// (docs/output.md "Coverage").
func (c *Coverage) Warning() string {
	n := c.Unchecked()
	if n == 0 {
		return ""
	}
	var uncovered, noEco, noPurl, noVer, badVer []string
	for _, e := range c.Ecosystems {
		switch {
		case e.Unchecked == 0:
		case e.Ecosystem == NoPurl:
			noPurl = append(noPurl, fmt.Sprint(e.Unchecked))
		case strings.HasPrefix(e.Ecosystem, PurlPrefix):
			noEco = append(noEco, fmt.Sprintf("%s (%d)", e.Ecosystem, e.Unchecked))
		case e.Basis == CoverageNone:
			uncovered = append(uncovered, fmt.Sprintf("%s (%d)", e.Ecosystem, e.Unchecked))
		}
		if e.Basis != CoverageNone && e.NoVersion > 0 {
			noVer = append(noVer, fmt.Sprintf("%s (%d)", e.Ecosystem, e.NoVersion))
		}
		if e.Basis != CoverageNone && e.InvalidVersion > 0 {
			badVer = append(badVer, fmt.Sprintf("%s (%d)", e.Ecosystem, e.InvalidVersion))
		}
	}
	var parts []string
	if len(uncovered) > 0 {
		parts = append(parts, "the advisory inputs cover no "+strings.Join(uncovered, ", "))
	}
	if len(noEco) > 0 {
		parts = append(parts, "no advisory ecosystem for "+strings.Join(noEco, ", "))
	}
	if len(noPurl) > 0 {
		parts = append(parts, "no purl ("+noPurl[0]+")")
	}
	if len(noVer) > 0 {
		parts = append(parts, "no version to compare with their package's advisories: "+strings.Join(noVer, ", "))
	}
	if len(badVer) > 0 {
		parts = append(parts, "a version that is no version of their ecosystem (in none of their package's advisory ranges): "+strings.Join(badVer, ", "))
	}
	return fmt.Sprintf("%d of %s not checked against any advisory (docs/output.md \"Coverage\"): %s",
		n, text.Count(c.Components(), "component", "components"), strings.Join(parts, "; "))
}

// uncheckedGate is what the unchecked-budget gate needs besides the
// policy's setting: the coverage and the budget the request sets.
type uncheckedGate struct {
	cov    *Coverage
	budget *int // Request.UncheckedBudget
}

// gate is the unchecked-budget gate (docs/dsl.md "Gates"): blocks when
// more components than the budget — the smaller of the policy's setting
// and the request's — were not checked against any advisory. ok is false
// when neither sets one.
func (u uncheckedGate) gate(setting *decimal.D) (Gate, bool) {
	limit := setting
	if u.budget != nil {
		if b := decimal.Int(int64(*u.budget)); limit == nil || b < *limit {
			limit = &b
		}
	}
	if limit == nil {
		return Gate{}, false
	}
	n := u.cov.Unchecked()
	g := Gate{Name: GateUnchecked, Outcome: GatePass, Observed: decimal.Int(int64(n)), Threshold: *limit, Action: GateBlock,
		Message: text.Count(n, "component", "components") + " not checked against any advisory, at most " + limit.String() + " allowed"}
	if g.Observed > *limit {
		g.Outcome = GateBlock
	}
	return g, true
}
