package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// TestFutureVEX: a statement dated more than a day after the evaluation
// time is not yet known: it is rejected (the explain trace says why), cannot
// win the consensus by being the latest, and is warned about by id and
// document; one within the skew still counts.
func TestFutureVEX(t *testing.T) {
	pol := policy(rule("vex", prio(1), eq(ref("vex", "status"), str("not_affected")), setStatus(str("not_affected"))),
		rule("block", prio(2), boolean(true), setStatus(str("blocked"))))
	aff := stmt("s-affected", "V", "2025-05-01T00:00:00Z", model.VEXAffected, "")
	tests := []struct {
		name      string
		ts        string    // timestamp of a later not_affected statement
		at        time.Time // evaluation time
		verdict   string
		consensus string
		warned    bool
	}{
		{"far future", "2099-01-01T00:00:00Z", at, "blocked", model.VEXAffected, true},
		{"a day and a second after", "2025-06-02T00:00:01Z", at, "blocked", model.VEXAffected, true},
		{"within the skew", "2025-06-01T23:00:00Z", at, "passed", model.VEXNotAffected, false},
		{"before", "2025-05-20T00:00:00Z", at, "passed", model.VEXNotAffected, false},
		{"known at a later evaluation time", "2099-01-01T00:00:00Z", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), "passed", model.VEXNotAffected, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			na := stmt("s-future", "V", tt.ts, model.VEXNotAffected, "component_not_present")
			fx := fixture{pol: pol, pairs: []match.Pair{pairOf(component("pkg:npm/lib@1.0.0", "1.0.0"), advisory("GHSA-1", "9.8"), aff, na)},
				inputs: model.Inputs{VEX: []model.VEXStatement{*aff, *na}}, at: tt.at}
			res := fx.run(t)
			f := res.Findings[0]
			if f.Verdict != tt.verdict || f.Explain.Evidence.Consensus.Status != tt.consensus {
				t.Errorf("verdict %s consensus %s, want %s %s", f.Verdict, f.Explain.Evidence.Consensus.Status, tt.verdict, tt.consensus)
			}
			var imp VEXImpact
			for _, i := range f.Explain.VEXImpacts {
				if i.StatementID == "s-future" {
					imp = i
				}
			}
			if imp.Accepted == tt.warned || tt.warned && !strings.Contains(imp.Reason, "after the evaluation time") {
				t.Errorf("impact %+v", imp)
			}
			warned := strings.Contains(strings.Join(res.Warnings, "\n"), "s-future (openvex document doc, about GHSA-1, dated "+tt.ts+")")
			if warned != tt.warned || warned && !strings.Contains(strings.Join(res.Notices, "\n"), "s-future") {
				t.Errorf("warnings %q notices %q, want warned %v", res.Warnings, res.Notices, tt.warned)
			}
		})
	}
}
