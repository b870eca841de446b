package engine

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/text"
)

// finding builds the Finding (and its trace) of the pair s has evaluated.
func (s *state) finding() Finding {
	f := &s.f
	c, a := f.comp, f.adv
	vs := s.currentVEXStatus()
	risk := s.risk()
	reach := Reachability{State: model.ReachUnknown, Scope: f.reachScope}
	if f.reach != nil {
		score := f.reach.Score
		reach.State, reach.Score, reach.Evidence = f.reach.State, &score, f.reach.Evidence
	}
	out := Finding{
		FindingID:              f.id,
		Purl:                   c.Purl,
		Component:              ComponentRef{SBOM: c.SBOM, Ref: c.Ref, Scope: c.Scope, Relation: c.Relation},
		Ecosystem:              c.Ecosystem,
		Name:                   componentName(c),
		Version:                c.Version,
		AdvisoryID:             a.ID,
		Aliases:                f.aliases,
		Source:                 f.source,
		Summary:                a.Summary,
		Range:                  f.rng,
		MatchedCaseInsensitive: f.fold,
		FixedIn:                f.fixedIn,
		VEXStatus:              vs,
		Verdict:                s.verdict,
		Severity: Severity{Band: s.sev.bandName(), Score: s.sev.scorePtr(), Source: s.sev.source, Vector: s.sev.vector,
			Label: s.sev.label, Record: s.sev.record, Step: s.sev.step, Qualitative: s.sev.qualitative},
		RiskScore:    risk.Score,
		Rule:         s.decidedBy,
		Signals:      f.sig,
		Reachability: reach,
		Annotations:  orEmpty(s.annotations),
		Warnings:     orEmpty(s.warnings),
		Unknowns:     s.unknowns(vs),
		Enforced:     s.p.enforced,
	}
	if s.exc != nil {
		out.Exception = exceptionRef(s.exc)
	}
	if s.p.explain {
		x := s.explain(&out, risk)
		out.ExplainID, out.Explain = x.ExplainID, x
	}
	return out
}

func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// unknowns lists the signals the finding lacks, sorted: severity (no CVSS
// and no database severity), vex (no statement counts), reachability (no
// fact, or state U), and epss/kev when that input is missing for it.
func (s *state) unknowns(vs string) []string {
	u := []string{}
	if s.f.sig.EPSS == nil {
		u = append(u, UnknownEPSS)
	}
	if !s.f.kevKnown {
		u = append(u, UnknownKEV)
	}
	if s.f.reach == nil || s.f.reach.State == model.ReachUnknown {
		u = append(u, UnknownReachability)
	}
	if !s.sev.known {
		u = append(u, UnknownSeverity)
	}
	if vs == model.VEXUnknown {
		u = append(u, UnknownVEX)
	}
	return u
}

// isUnknown is what the unknowns budget counts: a finding whose severity,
// VEX status or reachability is unknown.
func isUnknown(f *Finding) bool {
	for _, u := range f.Unknowns {
		if u == UnknownSeverity || u == UnknownVEX || u == UnknownReachability {
			return true
		}
	}
	return false
}

// explain builds the trace and its content-addressed id.
func (s *state) explain(f *Finding, risk RiskTrace) *Explain {
	cons := s.vex.consensus()
	x := &Explain{
		FindingID: f.FindingID,
		Verdict: ExplainResult{
			Status: f.Verdict, VEXStatus: f.VEXStatus, Severity: f.Severity.Band, Score: f.Severity.Score,
			RiskScore: f.RiskScore, Quiet: s.quiet, Rule: s.decidedBy, Rationale: s.rationale,
		},
		RuleChain: orEmpty(s.chain),
		Evidence: Evidence{
			Advisory: AdvisoryEvidence{
				ID: s.f.adv.ID, Source: s.f.source, Aliases: s.f.aliases, Published: s.f.adv.Published,
				Modified: s.f.adv.Modified, Range: s.f.rng, MatchedCaseInsensitive: s.f.fold, FixedIn: s.f.fixedIn, Tags: s.f.tags,
			},
			VEX:          make([]VEXEvidence, len(s.vex.all)),
			Consensus:    cons,
			Signals:      f.Signals,
			Reachability: f.Reachability,
			Exceptions:   orEmpty(s.excEvidence),
		},
		VEXImpacts: make([]VEXImpact, len(s.vex.all)),
		Severity: SeverityTrace{
			Base: nil, BaseSource: s.sev.source, Vector: s.sev.vector, Record: s.sev.record, Step: s.sev.step,
			Resolution:  orEmpty(s.sev.resolution),
			Adjustments: orEmpty(s.sev.adjustments), Final: f.Severity.Score, Band: f.Severity.Band,
		},
		Risk:            risk,
		Notes:           orEmpty(s.notes),
		WhatWouldChange: []string{},
	}
	if s.sev.baseKnown {
		b := s.sev.base
		x.Severity.Base = &b
	}
	for _, sv := range s.f.adv.Severity {
		x.Evidence.Advisory.Severity = append(x.Evidence.Advisory.Severity, SevEntry{Type: sv.Type, Score: sv.Score})
	}
	for i, st := range s.vex.all {
		x.Evidence.VEX[i] = VEXEvidence{StatementID: st.ID, Issuer: st.Issuer, Timestamp: st.Timestamp, Status: st.Status,
			Justification: st.Justification, Document: st.Document, Format: st.Format}
		imp := VEXImpact{StatementID: st.ID, Provider: st.Issuer, Status: st.Status, Justification: st.Justification,
			Accepted: s.vex.rejected[i] == ""}
		switch {
		case !imp.Accepted:
			imp.Reason = s.vex.rejected[i]
		case st.ID == cons.Statement:
			imp.Reason = "decides the VEX consensus (latest accepted statement)"
		case slices.ContainsFunc(cons.Conflicts, func(c Conflict) bool { return c.StatementID == st.ID }):
			imp.Reason = "counts; conflicts with the consensus " + cons.Status
		default:
			imp.Reason = "counts; superseded by a later statement"
		}
		x.VEXImpacts[i] = imp
	}
	if s.f.fold {
		x.Notes = append(x.Notes, "matched case-insensitively: the SBOM's Go module path "+s.f.comp.Package+
			" is all lowercase and the advisory names a path that differs only in case")
	}
	for _, u := range f.Unknowns {
		x.Notes = append(x.Notes, "unknown: "+unknownText[u])
	}
	if len(cons.Conflicts) > 0 {
		x.Notes = append(x.Notes, text.Count(len(cons.Conflicts), "issuer", "issuers")+" disagree with the VEX consensus "+cons.Status)
	}
	if f.Verdict == VerdictBlocked {
		x.WhatWouldChange = s.whatWouldChange(f)
	}
	var err error
	if s.buf, err = x.seal(s.buf, s.p.keep); err != nil {
		// Every field is plain data of supported types.
		panic(err)
	}
	return x
}

var unknownText = map[string]string{
	UnknownEPSS:         "no EPSS score for the advisory or its aliases (signals.epss is null)",
	UnknownKEV:          "no KEV catalog among the inputs (signals.kev is null)",
	UnknownReachability: "no reachability fact for the component (state U)",
	UnknownSeverity:     "no CVSS in the advisory, its alias group or NVD, and no qualitative label (severity.unknown; severity.score is null)",
	UnknownVEX:          "no VEX statement counts for the finding (vexStatus unknown)",
}

// whatWouldChange lists concrete changes that would stop the finding being
// blocked, most direct first.
func (s *state) whatWouldChange(f *Finding) []string {
	var out []string
	if len(f.FixedIn) > 0 {
		out = append(out, "upgrade "+f.Name+" from "+f.Version+" to a fixed version: "+strings.Join(f.FixedIn, ", "))
	}
	deciding := -1
	for i := range s.p.rules {
		if s.p.rules[i].r.Name == s.decidedBy {
			deciding = i
		}
	}
	if deciding >= 0 {
		r := &s.p.rules[deciding]
		out = append(out, "the condition of rule "+r.r.Name+" no longer holding: "+r.cond.Text+operandText(s.chain, deciding))
		// A rule evaluated earlier that would set a non-blocking status
		// decides first if its condition holds.
		for i := 0; i < deciding; i++ {
			r := &s.p.rules[i]
			if hint := passHint(r); hint != "" {
				out = append(out, "rule "+r.r.Name+" matching first ("+r.cond.Text+"), which "+hint)
			}
		}
	} else if strings.HasPrefix(s.decidedBy, "settings.") {
		out = append(out, s.decidedBy+" no longer applying ("+s.rationale+"), or a rule deciding the status first")
		for i := range s.p.rules {
			r := &s.p.rules[i]
			if hint := passHint(r); hint != "" {
				out = append(out, "rule "+r.r.Name+" matching ("+r.cond.Text+"), which "+hint)
			}
		}
	}
	vendors, justs := s.requiredVEX()
	if usesVEX(s.p.rules, deciding) {
		what := "a not_affected or fixed VEX statement for " + f.AdvisoryID + " naming " + f.Purl
		if justs != nil {
			what += " with justification " + strings.Join(justs, " or ")
		}
		if vendors != nil {
			what += " from " + strings.Join(vendors, " or ")
		}
		out = append(out, what)
	}
	out = append(out, "an approved exception (effect suppress or defer) for "+f.AdvisoryID+" on "+f.Purl+", inside its timebox")
	return out
}

// operandText renders the operand values a rule's trace recorded.
func operandText(chain []RuleTrace, i int) string {
	if i >= len(chain) || len(chain[i].Operands) == 0 {
		return ""
	}
	parts := make([]string, len(chain[i].Operands))
	for j, o := range chain[i].Operands {
		parts[j] = o.Expr + " = " + o.Value.String()
	}
	return " (now " + strings.Join(parts, ", ") + ")"
}

// passHint says what a rule's then branch does when it would let a finding
// pass, or "" when it would not.
func passHint(r *crule) string {
	for _, ca := range r.then {
		switch ca.a.Kind {
		case ir.ActIgnore:
			return "quiets the finding"
		case ir.ActStatus:
			v := ca.a.Value
			switch {
			case v.Op == ir.OpStr && v.Str != VerdictBlocked && (isVerdict(v.Str) || v.Str == model.VEXNotAffected || v.Str == model.VEXFixed):
				return "sets status " + ir.Quote(v.Str)
			case v.Op == ir.OpRef && v.NS == "vex" && v.Name == "status":
				return "sets the status from VEX"
			}
		}
	}
	return ""
}

// usesVEX reports whether a rule evaluated before the deciding one (or any
// rule, when a setting decided) takes its status from VEX, so that a VEX
// statement could change the verdict.
func usesVEX(rules []crule, deciding int) bool {
	end := len(rules)
	if deciding >= 0 {
		end = deciding
	}
	for i := 0; i < end; i++ {
		if passHint(&rules[i]) == "sets the status from VEX" {
			return true
		}
	}
	return false
}

// requiredVEX gathers the vendors and justifications that requireVex
// actions in the rule chain demanded, or nil when none restricted them.
func (s *state) requiredVEX() (vendors, justs []string) {
	for _, t := range s.chain {
		if t.Decision == DecisionNotMatched && t.Branch != "else" {
			continue
		}
		r := findRule(s.p.rules, t.Rule)
		if r == nil {
			continue
		}
		branch := r.then
		if t.Branch == "else" {
			branch = r.els
		}
		for _, ca := range branch {
			if ca.a.Kind == ir.ActRequireVex {
				if ca.a.Vendors != nil {
					vendors = ca.a.Vendors
				}
				if ca.a.Justifications != nil {
					justs = ca.a.Justifications
				}
			}
		}
	}
	return vendors, justs
}

func findRule(rules []crule, name string) *crule {
	for i := range rules {
		if rules[i].r.Name == name {
			return &rules[i]
		}
	}
	return nil
}
