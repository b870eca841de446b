package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
)

// ExplainTable writes the terminal form of `policy explain`: the run's
// line, its feeds, then one block per finding (docs/runs.md "Explain").
func ExplainTable(w io.Writer, doc *ExplainPage, o Options) error {
	w = escWriter{w, o.Color}
	s := newPalette(o.Color)
	shadow := ""
	if doc.Shadow {
		shadow = " · shadow (not enforced)"
	}
	policy := doc.PolicyID
	if doc.PolicyVersion > 0 {
		policy = fmt.Sprintf("%s@%d", doc.PolicyID, doc.PolicyVersion)
	}
	fmt.Fprintf(w, "%s  policy %s  evaluated at %s  verdict %s%s\n", s.paint(s.bold, doc.RunID), policy, doc.EvaluationTime, s.verdictWord(doc.Verdict), shadow)
	for _, f := range doc.Feeds {
		fmt.Fprintf(w, "feed %s  from %s  fetched %s  %s\n", f.Name, f.URL, f.FetchedAt, f.Digest)
	}
	if len(doc.Findings) == 0 {
		fmt.Fprintln(w, "no findings")
		return nil
	}
	for i := range doc.Findings {
		fmt.Fprintln(w)
		writeExplain(w, s, &doc.Findings[i])
	}
	return nil
}

func writeExplain(w io.Writer, s palette, f *engine.Finding) {
	ex := f.Explain
	fmt.Fprintf(w, "%s %s\n", s.paint(s.bold, "finding"), f.FindingID)
	comp := f.Purl
	if comp == "" {
		comp = f.Name + "@" + f.Version
	}
	if extra := joinNonEmpty(", ", f.Component.Scope, f.Component.Relation); extra != "" {
		comp += " (" + extra + ")"
	}
	fmt.Fprintf(w, "  component  %s\n", comp)
	adv := f.AdvisoryID
	if len(f.Aliases) > 0 {
		adv += " (" + strings.Join(f.Aliases, ", ") + ")"
	}
	fmt.Fprintf(w, "  advisory   %s  source %s", adv, f.Source)
	if f.Range != "" {
		fmt.Fprintf(w, "  range %s", f.Range)
	}
	if len(f.FixedIn) > 0 {
		fmt.Fprintf(w, "  fixed in %s", strings.Join(f.FixedIn, ", "))
	}
	fmt.Fprintln(w)
	sev := f.Severity.Band + " " + decText(f.Severity.Score)
	if f.Severity.Source != "" {
		sev += " (" + f.Severity.Source + ")"
	}
	fmt.Fprintf(w, "  verdict    %s · vex %s · severity %s · risk %s", s.verdictWord(f.Verdict), f.VEXStatus, sev, decText(f.RiskScore))
	if !f.Enforced {
		fmt.Fprint(w, " · not enforced")
	}
	fmt.Fprintln(w)
	if ex == nil {
		return
	}
	if ex.Verdict.Rule != "" {
		fmt.Fprintf(w, "  decided by %s — %s\n", s.paint(s.bold, ex.Verdict.Rule), ex.Verdict.Rationale)
	} else {
		fmt.Fprintf(w, "  decided by no rule — %s\n", ex.Verdict.Rationale)
	}
	if set := ex.Set; set != nil {
		// A policy set's finding: each member's decision, and which decided
		// (docs/governance.md "Evaluating a set").
		fmt.Fprintf(w, "  %s  decided by %s\n", s.paint(s.bold, "policy set"), s.paint(s.bold, set.DecidedBy))
		for _, d := range set.Policies {
			what := "out of scope"
			if d.InScope {
				what = d.Verdict
				if d.Rule != "" {
					what += " by " + d.Rule
				}
			}
			if !d.Counts {
				what += " (traced only)"
			}
			mark := " "
			if d.Policy == set.DecidedBy {
				mark = "◀"
			}
			fmt.Fprintf(w, "    %s %s [%s]  %s\n", mark, d.Policy, d.Enforcement, what)
		}
	}

	fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "rule chain"))
	for _, r := range ex.RuleChain {
		mark, note := "✗", "not matched"
		switch r.Decision {
		case engine.DecisionMatched:
			mark, note = "✓", "matched"
			if r.Branch == "else" {
				note = "else branch"
			}
		case engine.DecisionShadowed:
			mark, note = "⊘", "shadowed"
		}
		prio := ""
		if r.Priority != nil {
			prio = fmt.Sprintf(" [priority %d]", *r.Priority)
		}
		line := fmt.Sprintf("%s %s%s  %s", mark, r.Rule, prio, note)
		deciding := r.Rule == ex.Verdict.Rule && r.Decision == engine.DecisionMatched
		if deciding {
			line = s.paint(s.bad, line+"  ◀ deciding rule")
		} else if r.Decision != engine.DecisionMatched {
			line = s.paint(s.dim, line)
		}
		fmt.Fprintf(w, "    %s\n", line)
		// A condition written over several lines keeps its shape, indented.
		cond := strings.ReplaceAll(r.Condition.Text, "\n", "\n             ")
		if r.Condition.Line > 0 {
			cond += fmt.Sprintf("  (%s:%d:%d)", r.Condition.File, r.Condition.Line, r.Condition.Col)
		}
		if cond != "" {
			fmt.Fprintf(w, "        when %s\n", cond)
		}
		for _, o := range r.Operands {
			fmt.Fprintf(w, "          %s = %s\n", o.Expr, o.Value.String())
		}
		for _, act := range r.Actions {
			applied := "applied"
			if !act.Applied {
				applied = "not applied"
			}
			what := act.Action
			if act.Key != "" {
				what += " " + act.Key
			}
			fmt.Fprintf(w, "        → %s %s (%s", what, act.Value.String(), applied)
			if act.Note != "" {
				fmt.Fprintf(w, ": %s", act.Note)
			}
			fmt.Fprintln(w, ")")
		}
	}

	ev := ex.Evidence
	fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "evidence"))
	fmt.Fprintf(w, "    advisory      %s (%s)", ev.Advisory.ID, ev.Advisory.Source)
	if len(ev.Advisory.Tags) > 0 {
		fmt.Fprintf(w, " tags %s", strings.Join(ev.Advisory.Tags, ", "))
	}
	fmt.Fprintln(w)
	if len(ex.VEXImpacts) == 0 {
		fmt.Fprintln(w, "    vex           no statements")
	}
	for _, vi := range ex.VEXImpacts {
		acc := s.paint(s.good, "counted")
		if !vi.Accepted {
			acc = s.paint(s.warn, "rejected")
		}
		fmt.Fprintf(w, "    vex           %s by %s: %s", vi.StatementID, Dash(vi.Provider), vi.Status)
		if vi.Justification != "" {
			fmt.Fprintf(w, " (%s)", vi.Justification)
		}
		fmt.Fprintf(w, " — %s", acc)
		if vi.Reason != "" {
			fmt.Fprintf(w, ": %s", vi.Reason)
		}
		fmt.Fprintln(w)
	}
	if ev.Consensus.Status != "" {
		fmt.Fprintf(w, "    consensus     %s", ev.Consensus.Status)
		if len(ev.Consensus.Conflicts) > 0 {
			fmt.Fprintf(w, " (%d conflicting statement(s))", len(ev.Consensus.Conflicts))
		}
		fmt.Fprintln(w)
	}
	sig := "kev " + YesNo(ev.Signals.KEV)
	if ev.Signals.KEVDateAdded != "" {
		sig += " (added " + ev.Signals.KEVDateAdded + ")"
	}
	sig += " · epss " + decText(ev.Signals.EPSS)
	if ev.Signals.EPSSPercentile != nil {
		sig += " (percentile " + decText(ev.Signals.EPSSPercentile) + ")"
	}
	fmt.Fprintf(w, "    signals       %s\n", sig)
	fmt.Fprintf(w, "    reachability  %s %s (%s)\n", Dash(ev.Reachability.State), decText(ev.Reachability.Score), Dash(ev.Reachability.Scope))
	for _, e := range ev.Exceptions {
		fmt.Fprintf(w, "    exception     %s %s: %s", e.ID, e.Effect, e.State)
		if e.Detail != "" {
			fmt.Fprintf(w, " (%s)", e.Detail)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "    severity      base %s (%s)", decText(ex.Severity.Base), Dash(ex.Severity.BaseSource))
	for _, adj := range ex.Severity.Adjustments {
		fmt.Fprintf(w, " %+g %s", adj.Delta.Float(), adj.From)
	}
	fmt.Fprintf(w, " → %s %s\n", decText(ex.Severity.Final), ex.Severity.Band)
	if len(ex.Notes) > 0 {
		fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "notes"))
		for _, n := range ex.Notes {
			fmt.Fprintf(w, "    - %s\n", n)
		}
	}
	if len(ex.WhatWouldChange) > 0 {
		fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "what would change it"))
		for _, c := range ex.WhatWouldChange {
			fmt.Fprintf(w, "    - %s\n", c)
		}
	}
}

// VerdictText is a run's verdict in capitals, coloured (when color) as the
// table colours it.
func VerdictText(v string, color bool) string { return newPalette(color).verdictWord(v) }

func (p palette) verdictWord(v string) string {
	up := strings.ToUpper(v)
	switch v {
	case engine.VerdictBlocked:
		return p.paint(p.bad, up)
	case engine.VerdictWarned:
		return p.paint(p.warn, up)
	case engine.VerdictPassed:
		return p.paint(p.good, up)
	}
	return up
}

// Dash is s, or "–" when it is empty.
func Dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
