package engine

import (
	"slices"
	"testing"

	"github.com/stella-policy/stella/internal/ir"
)

func TestCompare(t *testing.T) {
	base := gateFixture() // blocks the Critical finding, warns the High one
	br := base.run(t)
	cand := gateFixture()
	// The candidate also blocks High, and stops warning.
	cand.pol.Rules[1].Then = []ir.Action{setStatus(str("blocked"))}
	cand.pol.Rules[1].Name = "block_high"
	cr := cand.run(t)

	d := Compare(br, cr)
	s := d.Summary
	if !d.SameInputs || s.Added != 0 || s.Removed != 0 || s.Changed != 1 || s.Unchanged != 3 || s.NewBlocked != 1 || s.Unblocked != 0 {
		t.Fatalf("summary %+v (same inputs %v)", s, d.SameInputs)
	}
	c := d.Changes[0]
	if c.Kind != ChangeChanged || c.AdvisoryID != "GHSA-b" || c.OldVerdict != "warned" || c.NewVerdict != "blocked" ||
		c.OldRule != "" || c.NewRule != "block_high" {
		t.Errorf("change %+v", c)
	}
	var rules []string
	for _, r := range d.Rules {
		rules = append(rules, r.Rule)
	}
	if !slices.Equal(rules, []string{"block_critical", "block_high", "warn_high"}) {
		t.Errorf("rules %v", rules)
	}
	for _, r := range d.Rules {
		switch r.Rule {
		case "block_high":
			if r.InBaseline || !r.InCandidate || r.Gained != 1 || r.CandidateDecided != 1 {
				t.Errorf("block_high impact %+v", r)
			}
		case "warn_high":
			if !r.InBaseline || r.InCandidate || r.BaselineMatched != 1 {
				t.Errorf("warn_high impact %+v", r)
			}
		}
	}

	// Results over different joins: findings are added and removed.
	fewer := gateFixture()
	fewer.pairs = fewer.pairs[:1]
	d = Compare(fewer.run(t), br)
	if d.Summary.Added != 3 || d.Summary.Removed != 0 || d.Summary.Unchanged != 1 {
		t.Errorf("different inputs: %+v", d.Summary)
	}
	d = Compare(br, fewer.run(t))
	if d.Summary.Removed != 3 || d.Summary.Unblocked != 0 {
		t.Errorf("removed: %+v", d.Summary)
	}
}
