package engine

import (
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// RiskProfile names the risk score definition (docs/dsl.md "Risk score").
// It changes whenever the formula or a default weight changes, so stored
// scores can be told apart.
const RiskProfile = "risk@1"

// riskWeights are the weights of the risk score terms. The defaults sum to 1
// so that a finding with every signal at its maximum scores 100. A policy
// overrides them with scalars of `profile risk { cvss = 0.6 … }`.
type riskWeights struct {
	cvss, epss, kev, reach decimal.D
}

var defaultRisk = riskWeights{
	cvss:  decimal.MustParse("0.5"),
	epss:  decimal.MustParse("0.2"),
	kev:   decimal.MustParse("0.2"),
	reach: decimal.MustParse("0.1"),
}

// reachValue is how much each reachability state raises risk, 0–1. A
// missing fact counts as U.
var reachValue = map[string]decimal.D{
	model.ReachConfirmedReachable:    decimal.One,
	model.ReachRuntimeObserved:       decimal.MustParse("0.9"),
	model.ReachStaticallyReachable:   decimal.MustParse("0.7"),
	model.ReachContested:             decimal.MustParse("0.6"),
	model.ReachUnknown:               decimal.MustParse("0.5"),
	model.ReachRuntimeUnobserved:     decimal.MustParse("0.3"),
	model.ReachStaticallyUnreachable: decimal.MustParse("0.2"),
	model.ReachConfirmedUnreachable:  decimal.Zero,
}

// riskWeightsOf reads `profile risk` scalars over the defaults.
func riskWeightsOf(p *ir.Policy) (riskWeights, error) {
	w := defaultRisk
	for _, pr := range p.Profiles {
		if pr.Name != "risk" {
			continue
		}
		for _, f := range pr.Scalars {
			var dst *decimal.D
			switch f.Key {
			case "cvss":
				dst = &w.cvss
			case "epss":
				dst = &w.epss
			case "kev":
				dst = &w.kev
			case "reachability":
				dst = &w.reach
			default:
				return w, errorf("profile risk: unknown weight %q (want cvss, epss, kev or reachability)", f.Key)
			}
			if f.Value.Kind != ir.ValNumber || f.Value.Num < 0 || f.Value.Num > decimal.One {
				return w, errorf("profile risk: weight %s must be a number in [0, 1]", f.Key)
			}
			*dst = f.Value.Num
		}
	}
	return w, nil
}

// risk computes the finding's risk score from its current severity, VEX
// status and signals:
//
//	100 × (w.cvss·score/10 + w.epss·epss + w.kev·[kev] + w.reachability·reach(state))
//
// clamped to [0, 100], 3 places; 0 when the VEX status is not_affected or
// fixed; null when the severity is unknown. A null EPSS or KEV counts as 0.
func (s *state) risk() RiskTrace {
	w := s.p.risk
	t := RiskTrace{Profile: RiskProfile, Terms: make([]RiskTerm, 0, 4)}
	if !s.sev.known {
		t.Capped = "severity unknown"
		return t
	}
	hundred := decimal.Int(100)
	term := func(signal string, v, weight decimal.D) decimal.D {
		pts := v.Mul(weight).Mul(hundred).Round3()
		t.Terms = append(t.Terms, RiskTerm{Signal: signal, Value: v, Weight: weight, Points: pts})
		return pts
	}
	cv, _ := s.sev.score.Div(decimal.Ten)
	raw := term("cvss", cv, w.cvss)
	epss := decimal.Zero
	if s.f.sig.EPSS != nil {
		epss = *s.f.sig.EPSS
	}
	raw = raw.Add(term("epss", epss, w.epss))
	kev := decimal.Zero
	if s.f.isKEV {
		kev = decimal.One
	}
	raw = raw.Add(term("kev", kev, w.kev))
	state := model.ReachUnknown
	if s.f.reach != nil {
		state = s.f.reach.State
	}
	rv, ok := reachValue[state]
	if !ok {
		rv = reachValue[model.ReachUnknown]
	}
	raw = raw.Add(term("reachability", rv, w.reach))
	t.Raw = &raw
	score := raw.Clamp(decimal.Zero, hundred).Round3()
	if vs := s.currentVEXStatus(); vs == model.VEXNotAffected || vs == model.VEXFixed {
		score, t.Capped = decimal.Zero, "VEX status "+vs
	}
	t.Score = &score
	return t
}
