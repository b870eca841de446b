package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/text"
)

// Explained writes `policy explain`'s explanation in format: the table
// (ExplainTable), one self-contained html page (ExplainHTML), one finding
// a line (ndjson), or the page's value (json, yaml).
func Explained(w io.Writer, format string, ex *run.Explanation, o Options) error {
	doc := ExplainPage{Explanation: *ex}
	switch format {
	case "table":
		return ExplainTable(w, &doc, o)
	case "html":
		return ExplainHTML(w, doc)
	case "ndjson":
		return Value(w, "ndjson", doc.Findings)
	}
	return Value(w, format, doc)
}

// ExplainTable writes the terminal form of `policy explain`: the run's
// line, its feeds, then one block per finding (docs/runs.md "Explain").
func ExplainTable(w io.Writer, doc *ExplainPage, o Options) error {
	s := newPalette(o.Color)
	shadow := ""
	if doc.Shadow {
		shadow = " · shadow (not enforced)"
	}
	policy := doc.PolicyID
	if doc.PolicyVersion > 0 {
		policy = fmt.Sprintf("%s@%d", doc.PolicyID, doc.PolicyVersion)
	}
	printf(w, "%s  policy %s  evaluated at %s  verdict %s%s\n", s.paint(s.bold, doc.RunID), policy, doc.EvaluationTime, s.verdictWord(doc.Verdict), shadow)
	if doc.UncheckedBudget != nil {
		printLine(w, uncheckedLine(doc.Unchecked, doc.UncheckedBudget))
	}
	for _, f := range doc.Feeds {
		printf(w, "feed %s  from %s  fetched %s  %s\n", f.Name, f.URL, f.FetchedAt, f.Digest)
	}
	if len(doc.Findings) == 0 {
		printLine(w, "no findings")
		return nil
	}
	places := instancePlaces(doc.Findings)
	for i := range doc.Findings {
		printLine(w)
		f := &doc.Findings[i]
		writeExplain(w, s, f, places[f.FindingID])
	}
	return nil
}

// instancePlaces tells apart the instances of a package at several places
// (SBOMs, bom-refs): for each finding whose purl is at two or more places,
// where its component is ("SBOM 3f2a… ref REF"), by finding id. The
// explain table and page say which instance each block explains; a
// package at one place with several advisories needs no place.
func instancePlaces(fs []engine.Finding) map[string]string {
	seen := map[string]bool{}
	n := map[string]int{} // distinct places per purl
	for i := range fs {
		f := &fs[i]
		if k := f.Purl + "\x00" + f.Component.SBOM + "\x00" + f.Component.Ref; !seen[k] {
			seen[k] = true
			n[f.Purl]++
		}
	}
	places := map[string]string{}
	for i := range fs {
		if f := &fs[i]; f.Purl != "" && n[f.Purl] > 1 {
			places[f.FindingID] = "SBOM " + canon.Short(f.Component.SBOM, 12) + " ref " + f.Component.Ref
		}
	}
	return places
}

// writeExplain writes one finding's block; place (instancePlaces) is added
// to the component line.
func writeExplain(w io.Writer, s palette, f *engine.Finding, place string) {
	ex := f.Explain
	printf(w, "%s %s\n", s.paint(s.bold, "finding"), f.FindingID)
	comp := f.Purl
	if comp == "" {
		comp = f.Name + "@" + f.Version
	}
	if place != "" {
		comp += " at " + place
	}
	if extra := joinNonEmpty(", ", f.Component.Scope, f.Component.Relation); extra != "" {
		comp += " (" + extra + ")"
	}
	printf(w, "  component  %s\n", comp)
	adv := f.AdvisoryID
	if len(f.Aliases) > 0 {
		adv += " (" + strings.Join(f.Aliases, ", ") + ")"
	}
	printf(w, "  advisory   %s  source %s", adv, f.Source)
	if f.Range != "" {
		printf(w, "  range %s", f.Range)
	}
	if len(f.FixedIn) > 0 {
		printf(w, "  fixed in %s", strings.Join(f.FixedIn, ", "))
	}
	printLine(w)
	sev := f.Severity.Band + " " + decText(f.Severity.Score)
	if f.Severity.Source != "" {
		sev += " (" + f.Severity.Source + ")"
	}
	printf(w, "  verdict    %s · vex %s · severity %s · risk %s", s.verdictWord(f.Verdict), f.VEXStatus, sev, decText(f.RiskScore))
	if !f.Enforced {
		printf(w, " · not enforced")
	}
	printLine(w)
	if ex == nil {
		return
	}
	if ex.Verdict.Rule != "" {
		printf(w, "  decided by %s — %s\n", s.paint(s.bold, ex.Verdict.Rule), ex.Verdict.Rationale)
	} else {
		printf(w, "  decided by no rule — %s\n", ex.Verdict.Rationale)
	}
	if x := f.Exception; x != nil {
		// The verdict line says what the exception made of the rules'
		// decision; say which one did it, here where "decided by" is read.
		printf(w, "  exception  %s — %s\n", s.paint(s.bold, x.ID), exceptionDoes(x))
	}
	if set := ex.Set; set != nil {
		// A policy set's finding: each member's decision, and which decided
		// (docs/governance.md "Evaluating a set").
		printf(w, "  %s  decided by %s\n", s.paint(s.bold, "policy set"), s.paint(s.bold, set.DecidedBy))
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
			printf(w, "    %s %s [%s]  %s\n", mark, d.Policy, d.Enforcement, what)
		}
	}

	printf(w, "  %s\n", s.paint(s.bold, "rule chain"))
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
		text := fmt.Sprintf("%s %s%s  %s", mark, r.Rule, prio, note)
		line := styled(Escape(text))
		deciding := r.Rule == ex.Verdict.Rule && r.Decision == engine.DecisionMatched
		if deciding {
			line = s.paint(s.bad, text+"  ◀ deciding rule")
		} else if r.Decision != engine.DecisionMatched {
			line = s.paint(s.dim, text)
		}
		printf(w, "    %s\n", line)
		// A condition written over several lines keeps its shape, indented.
		cond := styled(strings.ReplaceAll(escape(r.Condition.Text, true), "\n", "\n             "))
		if r.Condition.Line > 0 {
			cond += sprintf("  (%s:%d:%d)", r.Condition.File, r.Condition.Line, r.Condition.Col)
		}
		if cond != "" {
			printf(w, "        when %s\n", cond)
		}
		for _, o := range r.Operands {
			printf(w, "          %s = %s\n", o.Expr, o.Value.String())
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
			printf(w, "        → %s %s (%s", what, act.Value.String(), applied)
			if act.Note != "" {
				printf(w, ": %s", act.Note)
			}
			printLine(w, ")")
		}
	}

	ev := ex.Evidence
	printf(w, "  %s\n", s.paint(s.bold, "evidence"))
	printf(w, "    advisory      %s (%s)", ev.Advisory.ID, ev.Advisory.Source)
	if len(ev.Advisory.Tags) > 0 {
		printf(w, " tags %s", strings.Join(ev.Advisory.Tags, ", "))
	}
	printLine(w)
	if len(ex.VEXImpacts) == 0 {
		printLine(w, "    vex           no statements")
	}
	for _, vi := range ex.VEXImpacts {
		acc := s.paint(s.good, "counted")
		if !vi.Accepted {
			acc = s.paint(s.warn, "rejected")
		}
		printf(w, "    vex           %s by %s: %s", vi.StatementID, Dash(vi.Provider), vi.Status)
		if vi.Justification != "" {
			printf(w, " (%s)", vi.Justification)
		}
		printf(w, " — %s", acc)
		if vi.Reason != "" {
			printf(w, ": %s", vi.Reason)
		}
		printLine(w)
	}
	if ev.Consensus.Status != "" {
		printf(w, "    consensus     %s", ev.Consensus.Status)
		if len(ev.Consensus.Conflicts) > 0 {
			printf(w, " (%d conflicting statement(s))", len(ev.Consensus.Conflicts))
		}
		printLine(w)
	}
	sig := "kev " + YesNo(ev.Signals.KEV)
	if ev.Signals.KEVDateAdded != "" {
		sig += " (added " + ev.Signals.KEVDateAdded + ")"
	}
	sig += " · epss " + decText(ev.Signals.EPSS)
	if ev.Signals.EPSSPercentile != nil {
		sig += " (percentile " + decText(ev.Signals.EPSSPercentile) + epssOf(f.Signals, f.AdvisoryID) + ")"
	}
	printf(w, "    signals       %s\n", sig)
	printf(w, "    reachability  %s %s (%s)\n", Dash(ev.Reachability.State), decText(ev.Reachability.Score), Dash(ev.Reachability.Scope))
	for _, e := range ev.Exceptions {
		printf(w, "    exception     %s %s: %s", e.ID, e.Effect, e.State)
		if e.Detail != "" {
			printf(w, " (%s)", e.Detail)
		}
		printLine(w)
	}
	printf(w, "    severity      base %s (%s)", decText(ex.Severity.Base), Dash(ex.Severity.BaseSource))
	for _, adj := range ex.Severity.Adjustments {
		printf(w, " %+g %s", adj.Delta.Float(), adj.From)
	}
	printf(w, " → %s %s\n", decText(ex.Severity.Final), ex.Severity.Band)
	if len(ex.Notes) > 0 {
		printf(w, "  %s\n", s.paint(s.bold, "notes"))
		for _, n := range ex.Notes {
			printf(w, "    - %s\n", n)
		}
	}
	if len(ex.WhatWouldChange) > 0 {
		printf(w, "  %s\n", s.paint(s.bold, "what would change it"))
		for _, c := range ex.WhatWouldChange {
			printf(w, "    - %s\n", c)
		}
	}
}

// verdictText is a run's verdict in capitals, coloured (when color) as the
// table colours it.
func verdictText(v string, color bool) styled { return newPalette(color).verdictWord(v) }

func (p palette) verdictWord(v string) styled {
	up := strings.ToUpper(v)
	switch v {
	case engine.VerdictBlocked:
		return p.paint(p.bad, up)
	case engine.VerdictWarned:
		return p.paint(p.warn, up)
	case engine.VerdictPassed:
		return p.paint(p.good, up)
	}
	return styled(Escape(up))
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

// uncheckedLine says how many components the run could not check and the
// unchecked budget that gated them, with its source (docs/runs.md "What a
// record proves").
func uncheckedLine(n *int, b fmt.Stringer) styled {
	count := "not recorded"
	if n != nil {
		count = text.Count(*n, "component", "components") + " not checked"
	}
	return sprintf("unchecked budget %s: %s", b, count)
}

// exceptionDoes says what an applied exception does to a finding
// (docs/dsl.md "Exceptions"), for the explain renderings.
func exceptionDoes(x *engine.ExceptionRef) string {
	var what string
	switch x.Effect {
	case model.EffectSuppress:
		what = "suppress: quiets the finding"
	case model.EffectDowngrade:
		what = "downgrade: lowered the severity to " + x.Severity + " before the rules ran"
	case model.EffectDefer:
		what = "defer: a block becomes a warning"
	case model.EffectRequireControl:
		what = "requireControl: a block becomes a warning until control " + x.Control + " is in place"
	default:
		what = x.Effect
	}
	return what + ", until " + x.Expires
}

// epssOf names the CVE whose EPSS score a finding carries when it is not
// the advisory id (an alias: the group's highest score, docs/dsl.md
// "Signals and reachability"), as ", of CVE-…"; else "".
func epssOf(s engine.Signals, advisory string) string {
	if c := s.EPSSCVE; c != "" && c != advisory {
		return ", of " + c
	}
	return ""
}
