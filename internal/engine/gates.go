package engine

import (
	"slices"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/text"
)

// summarize counts the findings.
func summarize(fs []Finding, p *program, stats []RuleStat, evals int) Summary {
	s := Summary{Findings: len(fs), Rules: stats, RuleEvaluations: evals}
	for i := range fs {
		f := &fs[i]
		switch f.Verdict {
		case VerdictPassed:
			s.ByVerdict.Passed++
		case VerdictWarned:
			s.ByVerdict.Warned++
		case VerdictBlocked:
			s.ByVerdict.Blocked++
		case VerdictQuieted:
			s.ByVerdict.Quieted++
		case VerdictIgnored:
			s.ByVerdict.Ignored++
		}
		switch f.VEXStatus {
		case model.VEXAffected:
			s.ByVEXStatus.Affected++
		case model.VEXNotAffected:
			s.ByVEXStatus.NotAffected++
		case model.VEXFixed:
			s.ByVEXStatus.Fixed++
		case model.VEXUnderInvestigation:
			s.ByVEXStatus.UnderInvestigation++
		default:
			s.ByVEXStatus.Unknown++
		}
		switch f.Severity.Band {
		case "Critical":
			s.BySeverity.Critical++
		case "High":
			s.BySeverity.High++
		case "Medium":
			s.BySeverity.Medium++
		case "Low":
			s.BySeverity.Low++
		case "None":
			s.BySeverity.None++
		default:
			s.BySeverity.Unknown++
		}
		if isUnknown(f) {
			s.Unknowns++
		}
		for _, u := range f.Unknowns {
			switch u {
			case UnknownSeverity:
				s.UnknownsByKind.Severity++
			case UnknownVEX:
				s.UnknownsByKind.VEX++
			case UnknownReachability:
				s.UnknownsByKind.Reachability++
			case UnknownEPSS:
				s.UnknownsByKind.EPSS++
			case UnknownKEV:
				s.UnknownsByKind.KEV++
			}
		}
		if f.Exception != nil {
			s.Exceptions++
		}
	}
	if s.Rules == nil {
		s.Rules = []RuleStat{}
	}
	s.UncheckedByEcosystem = []EcosystemCount{}
	return s
}

// Gate names, in the order a result lists them.
const (
	GateUnknowns      = "unknowns-budget" // unknown severity
	GateUnknownsVEX   = "unknowns-budget-vex"
	GateUnknownsReach = "unknowns-budget-reachability"
	GateUnknownsEPSS  = "unknowns-budget-epss"
	GateScore         = "score-threshold"
	GateKEV           = "kev-blocker"
	GateEPSS          = "epss-threshold"
	GateMaxCritical   = "max-critical"
	GateMaxHigh       = "max-high"
	GateMaxMedium     = "max-medium"
	GateNewFindings   = "new-findings-only"
	GateUnchecked     = "unchecked-budget" // components not checked (Coverage)
)

// gates evaluates the run-level gates the settings configure and the run
// verdict: blocked when a gate blocks or an enforced finding is blocked
// (under new_findings_only: a finding the baseline did not block), warned
// when a gate warns or a finding is warned, else passed.
func (p *program) gates(fs []Finding, baseline *Result, fresh *Freshness, unchecked uncheckedGate) ([]Gate, string) {
	set := &p.set
	gs := []Gate{}
	count := func(pred func(*Finding) bool) (int, []string) {
		n, ids := 0, []string{}
		for i := range fs {
			if pred(&fs[i]) {
				n++
				ids = append(ids, fs[i].FindingID)
			}
		}
		return n, ids
	}
	cap := func(name string, limit *decimal.D, noun, what string, pred func(*Finding) bool) {
		if limit == nil {
			return
		}
		n, ids := count(pred)
		g := Gate{Name: name, Outcome: GatePass, Observed: decimal.Int(int64(n)), Threshold: *limit, Action: GateBlock, Findings: ids}
		g.Message = text.Count(n, noun, noun+"s") + " " + what + ", at most " + limit.String() + " allowed"
		if g.Observed > *limit {
			g.Outcome = GateBlock
		}
		gs = append(gs, g)
	}
	decidedBy := func(setting string) func(*Finding) bool {
		return func(f *Finding) bool { return f.Rule == setting }
	}
	open := func(f *Finding) bool { return f.Verdict == VerdictBlocked || f.Verdict == VerdictWarned }
	band := func(b string) func(*Finding) bool {
		return func(f *Finding) bool { return f.Severity.Band == b && open(f) }
	}

	// The unknowns budgets, one per kind: findings not quieted or ignored
	// that lack it (Finding.Unknowns).
	unknown := func(kind string) func(*Finding) bool {
		return func(f *Finding) bool {
			return slices.Contains(f.Unknowns, kind) && f.Verdict != VerdictQuieted && f.Verdict != VerdictIgnored
		}
	}
	cap(GateUnknowns, set.unknownsBudget, "finding", "with unknown severity", unknown(UnknownSeverity))
	cap(GateUnknownsVEX, set.unknownsVEX, "finding", "with unknown VEX status", unknown(UnknownVEX))
	cap(GateUnknownsReach, set.unknownsReach, "finding", "with unknown reachability", unknown(UnknownReachability))
	cap(GateUnknownsEPSS, set.unknownsEPSS, "finding", "without an EPSS score", unknown(UnknownEPSS))
	trigger := func(name string, on bool, limit decimal.D, action, what, setting string) {
		if !on {
			return
		}
		n, ids := count(decidedBy(setting))
		g := Gate{Name: name, Outcome: GatePass, Observed: decimal.Int(int64(n)), Threshold: limit, Action: action, Findings: ids,
			Message: text.Count(n, "finding", "findings") + " " + what}
		if n > 0 {
			g.Outcome = action
		}
		gs = append(gs, g)
	}
	if set.scoreThreshold != nil {
		trigger(GateScore, true, *set.scoreThreshold, GateBlock, "blocked by severity score ≥ "+set.scoreThreshold.String(), "settings.score_threshold")
	}
	trigger(GateKEV, set.blockKEV, decimal.Zero, GateBlock, "blocked as known exploited (KEV)", "settings.block_kev")
	if set.epssThreshold != nil {
		trigger(GateEPSS, true, *set.epssThreshold, GateWarn, "warned by EPSS ≥ "+set.epssThreshold.String(), "settings.epss_threshold")
	}
	cap(GateMaxCritical, set.maxCritical, "Critical finding", "blocked or warned", band("Critical"))
	cap(GateMaxHigh, set.maxHigh, "High finding", "blocked or warned", band("High"))
	cap(GateMaxMedium, set.maxMedium, "Medium finding", "blocked or warned", band("Medium"))

	// Blocked findings the baseline did not block.
	known := map[string]bool{}
	if baseline != nil {
		for i := range baseline.Findings {
			if baseline.Findings[i].Verdict == VerdictBlocked {
				known[baseline.Findings[i].FindingID] = true
			}
		}
	}
	isNew := func(f *Finding) bool { return f.Verdict == VerdictBlocked && !known[f.FindingID] }
	if set.newFindingsOnly {
		n, ids := count(isNew)
		old, _ := count(func(f *Finding) bool { return f.Verdict == VerdictBlocked && known[f.FindingID] })
		g := Gate{Name: GateNewFindings, Outcome: GatePass, Observed: decimal.Int(int64(n)), Threshold: decimal.Zero, Action: GateBlock, Findings: ids}
		switch {
		case baseline == nil:
			g.Message = text.Count(n, "blocked finding", "blocked findings") + "; no baseline given, so every one counts as new"
		default:
			g.Message = text.Count(n, "new blocked finding", "new blocked findings") + "; " + text.Count(old, "blocked finding", "blocked findings") + " the baseline also blocked"
		}
		switch {
		case n > 0:
			g.Outcome = GateBlock
		case old > 0:
			g.Outcome = GateWarn
		}
		gs = append(gs, g)
	}

	if set.maxFeedAge != nil {
		gs = append(gs, feedAgeGate(fresh, *set.maxFeedAge))
	}
	if g, ok := unchecked.gate(set.uncheckedBudget); ok {
		gs = append(gs, g)
	}

	verdict := VerdictPassed
	for _, g := range gs {
		switch {
		case g.Outcome == GateBlock:
			verdict = VerdictBlocked
		case g.Outcome == GateWarn && verdict == VerdictPassed:
			verdict = VerdictWarned
		}
	}
	for i := range fs {
		f := &fs[i]
		switch {
		case f.Verdict == VerdictBlocked && (!set.newFindingsOnly || isNew(f)):
			verdict = VerdictBlocked
		case (f.Verdict == VerdictWarned || f.Verdict == VerdictBlocked) && verdict == VerdictPassed:
			verdict = VerdictWarned
		}
	}
	return gs, verdict
}

// BaselineBlocked returns the ids of r's blocked findings its
// new-findings-only gate did not count as new — the baseline blocked them
// too, so they warn the run rather than block it (docs/dsl.md "Gates") —
// and whether r has that gate (settings new_findings_only). Reports, replay
// and the recorded baseline read the gate's decision from here.
func (r *Result) BaselineBlocked() (map[string]bool, bool) {
	for _, g := range r.Gates {
		if g.Name != GateNewFindings {
			continue
		}
		known := map[string]bool{}
		for i := range r.Findings {
			if f := &r.Findings[i]; f.Verdict == VerdictBlocked && !slices.Contains(g.Findings, f.FindingID) {
				known[f.FindingID] = true
			}
		}
		return known, true
	}
	return nil, false
}
