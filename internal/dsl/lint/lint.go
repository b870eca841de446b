// Package lint owns the rule-set lints, the last phase of the compiler
// (syntax → check → compile → lint, docs/architecture.md): it reads the
// compiled IR and its source map and reports unreachable, shadowed and
// conflicting rules and priority ties (docs/dsl.md).
package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

// The rule-set lints look at the compiled rules in evaluation order:
//
//   - dsl.rule.unreachable: a condition that can never hold (so the then
//     branch never runs), or an else branch under a condition that always
//     holds.
//   - dsl.rule.shadowed: a status decision that can never take effect
//     because an earlier rule certainly decides the status whenever this one
//     matches (first status wins).
//   - dsl.rule.conflict: two rules that may both match and decide different
//     statuses. BLOCKING when both have the same explicit priority and both
//     decide a literal status (the outcome then hinges on rule names);
//     WARNING when one decision is computed (status := vex.status, ignore
//     until EXPR) or when the rules have no priority.
//   - dsl.priority.tie: two rules of the same priority that may both match
//     and both decide status or set severity, where only their names order
//     them (reported when no conflict is).
//
// "May both match" is decided by a conservative overlap analysis: conditions
// are put in negation normal form and two are disjoint only when some pair of
// their atoms constrains the same operand to non-overlapping values (equal to
// different literals, outside each other's lists or ranges, a predicate and
// its negation). Anything the analysis cannot see through counts as
// overlapping, so a conflict may be reported that cannot happen, but none is
// missed that the analysis can rule out. Implication (for shadowing) is
// conservative the other way: a rule is reported as shadowed only when the
// implication is certain.

// Lint runs the rule-set lints over a compiled policy; sm gives the
// positions (its rules are in the same order as p.Rules) and settings those
// of the settings entries by key.
func Lint(file string, p *ir.Policy, sm *ir.SourceMap, settings map[string]ir.Span) []syntax.Diagnostic {
	a := &analyzer{file: file}
	var ds []decision
	for i := range p.Rules {
		r := &p.Rules[i]
		when := toFormula(r.When, false)
		rs := &sm.Rules[i]
		unsat := when.op == opFalse || disjoint(when, when)
		if unsat {
			a.report(rs.When, syntax.Warning, "dsl.rule.unreachable", "the condition of rule %s can never be true, so its then branch never runs", r.Name)
		}
		if r.Else != nil && when.op == opTrue {
			a.report(rs.Else[0], syntax.Warning, "dsl.rule.unreachable", "the else branch of rule %s never runs: its condition is always true", r.Name)
		}
		switch d, ok := decide(i, r.Then, rs.Then, when); {
		case unsat:
			// The then branch never runs; it neither conflicts nor shadows.
		case ok:
			d.severity = setsSeverity(r.Then)
			ds = append(ds, d)
		case setsSeverity(r.Then):
			ds = append(ds, decision{rule: i, when: when, span: rs.Span, severity: true})
		}
		if r.Else != nil && when.op != opTrue {
			notWhen := toFormula(r.When, true)
			if d, ok := decide(i, r.Else, rs.Else, notWhen); ok {
				d.severity = setsSeverity(r.Else)
				ds = append(ds, d)
			}
		}
	}
	a.shadowed(p, ds)
	a.conflicts(p, ds)
	a.lateSeverity(p, sm)
	a.unknownSeverity(p, sm, settings)
	return a.diags
}

// lateSeverity reports dsl.rule.lateSeverity: a rule that changes severity
// (severity :=, escalate) after an earlier rule already tested severity. The
// earlier rule saw the old value, so, for example, a High finding escalated to
// Critical by a rule without priority still passes a `block_critical priority 5`
// rule that ran before it. The published baseline policy has this shape.
//
// The rule named is the first earlier one that tests severity and decides a
// status, else the first that tests severity at all.
func (a *analyzer) lateSeverity(p *ir.Policy, sm *ir.SourceMap) {
	reader, decider := -1, -1
	for i := range p.Rules {
		r := &p.Rules[i]
		if decider >= 0 {
			reader = decider
		}
		if reader >= 0 {
			for _, br := range []struct {
				as    []ir.Action
				spans []ir.Span
			}{{r.Then, sm.Rules[i].Then}, {r.Else, sm.Rules[i].Else}} {
				for k, act := range br.as {
					if act.Kind == ir.ActSeverity || act.Kind == ir.ActEscalate {
						a.report(br.spans[k], syntax.Warning, "dsl.rule.lateSeverity",
							"rule %s changes severity after rule %s already tested it, so %s does not see the change; give %s a priority below %s's to change severity first",
							r.Name, p.Rules[reader].Name, p.Rules[reader].Name, r.Name, p.Rules[reader].Name)
						break
					}
				}
			}
		}
		if readsSeverity(r.When) {
			if reader < 0 {
				reader = i
			}
			_, thenDecides := decide(i, r.Then, sm.Rules[i].Then, formula{})
			_, elseDecides := decide(i, r.Else, sm.Rules[i].Else, formula{})
			if decider < 0 && (thenDecides || elseDecides) {
				decider = i
			}
		}
	}
}

// unknownSeverity reports dsl.policy.unknownSeverity: a rule or the
// score_threshold setting blocks by severity, but nothing in the policy
// handles a finding whose severity is unknown — comparisons with its null
// score are false, so it passes (docs/dsl.md "Severity resolution").
// Handling is a condition that reads severity.unknown or severity.step, the
// unknowns_budget gate, or a default_status that does not pass.
func (a *analyzer) unknownSeverity(p *ir.Policy, sm *ir.SourceMap, settings map[string]ir.Span) {
	threshold := false
	for _, f := range p.Settings {
		switch {
		case f.Key == "unknowns_budget":
			return
		case f.Key == "default_status" && f.Value.Kind == ir.ValString && f.Value.Str != "passed":
			return
		case f.Key == "score_threshold":
			threshold = true
		}
	}
	blocker := -1
	for i := range p.Rules {
		r := &p.Rules[i]
		if readsUnknownSeverity(r.When) {
			return
		}
		// A rule that certainly blocks a finding of unknown severity
		// handles it: `not (severity.normalized < "High")` holds for one.
		if h := holdsUnknown(r.When); h == yes && blocks(r.Then) || h == no && blocks(r.Else) {
			return
		}
		if blocker < 0 && readsSeverity(r.When) && (blocks(r.Then) || blocks(r.Else)) {
			blocker = i
		}
	}
	const msg = "findings of unknown severity pass this policy: %s blocks by severity, but no rule tests severity.unknown and no unknowns_budget is set"
	switch {
	case blocker >= 0:
		a.report(sm.Rules[blocker].When, syntax.Warning, "dsl.policy.unknownSeverity", msg, "rule "+p.Rules[blocker].Name)
	case threshold:
		// A finding without a score is never at or above the threshold.
		a.report(settings["score_threshold"], syntax.Warning, "dsl.policy.unknownSeverity", msg, "settings.score_threshold")
	}
}

// tri is a three-valued truth: what a condition is for a finding of
// unknown severity when nothing else about the finding is known.
type tri int

const (
	maybe tri = iota
	yes
	no
)

// holdsUnknown evaluates e for a finding of unknown severity: its
// severity.normalized, score and base are null, and every comparison with
// null is false (docs/dsl.md "Severity resolution"); anything else may go
// either way.
func holdsUnknown(e ir.Expr) tri {
	switch e.Op {
	case ir.OpNot:
		switch holdsUnknown(e.Args[0]) {
		case yes:
			return no
		case no:
			return yes
		}
		return maybe
	case ir.OpAnd, ir.OpOr:
		short, all := no, yes // and: one false decides, else all true
		if e.Op == ir.OpOr {
			short, all = yes, no
		}
		out := all
		for _, x := range e.Args {
			switch holdsUnknown(x) {
			case short:
				return short
			case maybe:
				out = maybe
			}
		}
		return out
	case ir.OpEq, ir.OpNe, ir.OpLt, ir.OpLe, ir.OpGt, ir.OpGe, ir.OpIn:
		nullSev := slices.ContainsFunc(e.Args, func(x ir.Expr) bool {
			return x.Op == ir.OpRef && x.NS == "severity" && (x.Name == "normalized" || x.Name == "score" || x.Name == "base")
		})
		if nullSev && !slices.ContainsFunc(e.Args, func(x ir.Expr) bool { return x.Op == ir.OpNull }) {
			return no
		}
	}
	return maybe
}

// blocks reports whether a branch sets the status to "blocked".
func blocks(as []ir.Action) bool {
	return slices.ContainsFunc(as, func(act ir.Action) bool {
		return act.Kind == ir.ActStatus && act.Value != nil && act.Value.Op == ir.OpStr && act.Value.Str == "blocked"
	})
}

// readsUnknownSeverity reports whether e reads severity.unknown or
// severity.step (whose value "unknown" says the same).
func readsUnknownSeverity(e ir.Expr) bool {
	if e.Op == ir.OpRef && e.NS == "severity" && (e.Name == "unknown" || e.Name == "step") {
		return true
	}
	if e.X != nil && readsUnknownSeverity(*e.X) {
		return true
	}
	return slices.ContainsFunc(e.Args, readsUnknownSeverity)
}

// readsSeverity reports whether e reads the finding's severity: a severity.*
// field, or risk_score(), which is computed from it.
func readsSeverity(e ir.Expr) bool {
	if e.Op == ir.OpRef && e.NS == "severity" || e.Op == ir.OpCall && e.Fn == "risk_score" {
		return true
	}
	if e.X != nil && readsSeverity(*e.X) {
		return true
	}
	return slices.ContainsFunc(e.Args, readsSeverity)
}

type analyzer struct {
	file  string
	diags []syntax.Diagnostic
}

func (a *analyzer) report(sp ir.Span, sev syntax.Severity, code, format string, args ...any) {
	a.diags = append(a.diags, syntax.Diagnostic{
		File:     a.file,
		Pos:      syntax.Pos{Line: sp.Start.Line, Col: sp.Start.Col},
		End:      syntax.Pos{Line: sp.End.Line, Col: sp.End.Col},
		Severity: sev, Code: code, Msg: fmt.Sprintf(format, args...),
	})
}

// decision is a branch of a rule that decides the status (or, with
// status == "", only sets severity).
type decision struct {
	rule     int
	when     formula // the condition under which the branch runs
	span     ir.Span // the deciding action
	status   string  // the literal outcome ("blocked", "ignored", "quieted", …); "" when computed or none
	computed string  // the computed value's text when status is ""
	certain  bool    // the branch always decides when it runs
	decides  bool
	severity bool // the branch also sets severity (severity := or escalate)
}

// decide finds the first status action of a branch.
func decide(rule int, as []ir.Action, spans []ir.Span, when formula) (decision, bool) {
	for k, act := range as {
		d := decision{rule: rule, when: when, decides: true}
		if k < len(spans) {
			d.span = spans[k]
		}
		switch act.Kind {
		case ir.ActStatus:
			if act.Value.Op == ir.OpStr {
				d.status, d.certain = act.Value.Str, true
			} else {
				d.computed = ir.FormatExpr(*act.Value)
			}
		case ir.ActIgnore:
			switch {
			case act.Until == nil:
				d.status, d.certain = "ignored", true
			case act.Until.Op == ir.OpStr:
				d.status = "quieted" // until a literal time: decides only before it
			default:
				d.computed = "ignore until " + ir.FormatExpr(*act.Until)
			}
		default:
			continue
		}
		return d, true
	}
	return decision{}, false
}

// Branch is a rule branch for analyses across policies (internal/policyset):
// the rule's condition, negated for its else branch, and its actions.
type Branch struct {
	When    ir.Expr
	Else    bool
	Actions []ir.Action
}

// Status is the literal status the branch decides ("blocked", "quieted" for
// ignore until a literal time, …), "" when it decides none or a computed
// one.
func (b Branch) Status() string {
	d, _ := decide(0, b.Actions, nil, formula{})
	return d.status
}

// MayOverlap reports whether two branches may run for the same finding: by
// the conservative analysis above, false only when their conditions are
// provably disjoint.
func MayOverlap(a, b Branch) bool {
	return !disjoint(toFormula(a.When, a.Else), toFormula(b.When, b.Else))
}

func setsSeverity(as []ir.Action) bool {
	return slices.ContainsFunc(as, func(a ir.Action) bool { return a.Kind == ir.ActSeverity || a.Kind == ir.ActEscalate })
}

// shadowed reports decisions that an earlier certain decision always
// pre-empts.
func (a *analyzer) shadowed(p *ir.Policy, ds []decision) {
	for j, d2 := range ds {
		if !d2.decides {
			continue
		}
		for _, d1 := range ds[:j] {
			if d1.rule == d2.rule || !d1.decides || !d1.certain || !implies(d2.when, d1.when) {
				continue
			}
			r1 := p.Rules[d1.rule].Name
			a.report(d2.span, syntax.Warning, "dsl.rule.shadowed",
				"rule %s can never decide the status: rule %s (%d:%d) runs first and decides it whenever %s matches",
				p.Rules[d2.rule].Name, r1, d1.span.Start.Line, d1.span.Start.Col, p.Rules[d2.rule].Name)
			break
		}
	}
}

// conflicts reports overlapping decisions of equal rank that disagree, and
// priority ties. Each decision gets at most one conflict (the first blocking
// one, else the first) and one tie, counting the other rules involved: a
// rule set where every pair conflicts gives n diagnostics, not n².
func (a *analyzer) conflicts(p *ir.Policy, ds []decision) {
	for j, d2 := range ds {
		r2 := &p.Rules[d2.rule]
		var conflict, tie *decision
		var sev syntax.Severity
		conflicts, ties := 0, 0
		for k := range ds[:j] {
			d1 := &ds[k]
			r1 := &p.Rules[d1.rule]
			if d1.rule == d2.rule || !samePriority(r1, r2) || disjoint(d1.when, d2.when) {
				continue
			}
			if d1.decides && d2.decides && (d1.status != d2.status || d1.computed != d2.computed) {
				s := syntax.Warning
				if r1.Priority != nil && d1.status != "" && d2.status != "" {
					s = syntax.Blocking
				}
				if conflict == nil || s == syntax.Blocking && sev != syntax.Blocking {
					conflict, sev = d1, s
				}
				conflicts++
				continue
			}
			if r1.Priority != nil && (d1.decides && d2.decides || d1.severity && d2.severity) {
				if tie == nil {
					tie = d1
				}
				ties++
			}
		}
		if conflict != nil {
			r1 := &p.Rules[conflict.rule]
			a.report(d2.span, sev, "dsl.rule.conflict",
				"rules %s (%d:%d) and %s both have %s, may match the same finding and decide different statuses (%s vs %s); only their names order them%s",
				r1.Name, conflict.span.Start.Line, conflict.span.Start.Col, r2.Name, priority(r1), outcome(*conflict), outcome(d2), others(conflicts))
		}
		if tie != nil {
			r1 := &p.Rules[tie.rule]
			a.report(d2.span, syntax.Warning, "dsl.priority.tie",
				"rules %s and %s both have %s and may match the same finding; their order is decided by name (%s first)%s",
				r1.Name, r2.Name, priority(r1), r1.Name, others(ties))
		}
	}
}

func priority(r *ir.Rule) string {
	if r.Priority == nil {
		return "no priority"
	}
	return fmt.Sprintf("priority %d", *r.Priority)
}

// others says how many more earlier rules a conflict or tie involves.
func others(n int) string {
	switch n {
	case 0, 1:
		return ""
	case 2:
		return " (and 1 other rule)"
	}
	return fmt.Sprintf(" (and %d other rules)", n-1)
}

func samePriority(a, b *ir.Rule) bool {
	if a.Priority == nil || b.Priority == nil {
		return a.Priority == nil && b.Priority == nil
	}
	return *a.Priority == *b.Priority
}

func outcome(d decision) string {
	if d.status != "" {
		return fmt.Sprintf("%q", d.status)
	}
	return d.computed
}

// ---- formulas ----

type fop int

const (
	opTrue fop = iota
	opFalse
	opAnd
	opOr
	opLeaf
)

// formula is a condition in negation normal form.
type formula struct {
	op   fop
	args []formula
	key  string // opLeaf: the constrained operand, as DSL text
	dom  domain // opLeaf: the values of key that make the leaf true
}

// toFormula converts e (negated when neg) to negation normal form. and, or
// and not follow three-valued (Kleene) logic, where De Morgan's laws hold, and
// a condition matches only when it is true; so a formula matches exactly when
// its NNF does, each leaf standing for "this leaf is true", with null
// tracked in the leaves' domains.
func toFormula(e ir.Expr, neg bool) formula {
	switch e.Op {
	case ir.OpBool:
		if e.Bool != neg {
			return formula{op: opTrue}
		}
		return formula{op: opFalse}
	case ir.OpNot:
		return toFormula(e.Args[0], !neg)
	case ir.OpAnd, ir.OpOr:
		op := opAnd
		if (e.Op == ir.OpOr) != neg {
			op = opOr
		}
		f := formula{op: op}
		for _, a := range e.Args {
			f.args = append(f.args, toFormula(a, neg))
		}
		return f
	}
	key, dom, isCmp := leaf(e)
	switch {
	case !neg:
	case isCmp:
		// A comparison is never null: it is false, and its negation true,
		// for every value outside dom, null included.
		dom = dom.complement()
	default:
		// Any other boolean is three-valued: `not x` holds only when x is
		// false, never when it is null.
		dom = domain{kind: dSet, vals: []string{"b:false"}}
	}
	return formula{op: opLeaf, key: key, dom: dom}
}

// leaf turns a comparison of an operand with literals into a domain of that
// operand; any other expression X becomes "X is true" (a comparison that is
// not of that shape is still two-valued, which isCmp reports).
func leaf(e ir.Expr) (key string, dom domain, isCmp bool) {
	isCmp = isComparison(e.Op)
	if isCmp && len(e.Args) == 2 {
		x, y, op := e.Args[0], e.Args[1], e.Op
		if isLiteral(x) && !isLiteral(y) && op != ir.OpIn {
			x, y, op = y, x, flip(op)
		}
		if !isLiteral(x) && isLiteral(y) {
			if d, ok := compareDomain(op, e.Type, y); ok {
				return ir.FormatExpr(x), d, true
			}
		}
	}
	return ir.FormatExpr(e), domain{kind: dSet, vals: []string{"b:true"}}, isCmp
}

func isComparison(op ir.Op) bool {
	switch op {
	case ir.OpEq, ir.OpNe, ir.OpLt, ir.OpLe, ir.OpGt, ir.OpGe, ir.OpIn:
		return true
	}
	return false
}

func isLiteral(e ir.Expr) bool {
	switch e.Op {
	case ir.OpStr, ir.OpNum, ir.OpBool:
		return true
	case ir.OpList:
		for _, a := range e.Args {
			if !isLiteral(a) {
				return false
			}
		}
		return true
	}
	return false
}

func flip(op ir.Op) ir.Op {
	switch op {
	case ir.OpLt:
		return ir.OpGt
	case ir.OpLe:
		return ir.OpGe
	case ir.OpGt:
		return ir.OpLt
	case ir.OpGe:
		return ir.OpLe
	}
	return op
}

// compareDomain is the set of operand values for which `operand op lit`
// holds, when it can be expressed.
func compareDomain(op ir.Op, t ir.CmpType, lit ir.Expr) (domain, bool) {
	ordered := t == ir.CmpNumber || t == ir.CmpBand
	switch op {
	case ir.OpEq, ir.OpNe:
		v, ok := point(t, lit)
		if !ok {
			return domain{}, false
		}
		d := domain{kind: dSet, vals: []string{v}}
		if op == ir.OpNe {
			d = domain{kind: dSet, neg: true, vals: []string{v}}
		}
		return d, true
	case ir.OpIn:
		if lit.Op != ir.OpList {
			return domain{}, false
		}
		d := domain{kind: dSet}
		for _, a := range lit.Args {
			v, ok := point(t, a)
			if !ok {
				return domain{}, false
			}
			d.vals = append(d.vals, v)
		}
		slices.Sort(d.vals)
		return d, true
	case ir.OpLt, ir.OpLe, ir.OpGt, ir.OpGe:
		if !ordered {
			return domain{}, false
		}
		n, ok := number(t, lit)
		if !ok {
			return domain{}, false
		}
		d := domain{kind: dRange, lo: bound{inf: true}, hi: bound{inf: true}}
		switch op {
		case ir.OpLt:
			d.hi = bound{v: n}
		case ir.OpLe:
			d.hi = bound{v: n, inc: true}
		case ir.OpGt:
			d.lo = bound{v: n}
		case ir.OpGe:
			d.lo = bound{v: n, inc: true}
		}
		return d, true
	}
	return domain{}, false
}

// point encodes a literal as a set element. Numbers and bands are encoded
// as numbers so that they meet ranges; other kinds keep a type prefix so
// that "1" and 1 differ.
func point(t ir.CmpType, lit ir.Expr) (string, bool) {
	if t == ir.CmpNumber || t == ir.CmpBand {
		n, ok := number(t, lit)
		return "n:" + n.String(), ok
	}
	switch lit.Op {
	case ir.OpStr:
		return "s:" + lit.Str, true
	case ir.OpNum:
		return "n:" + lit.Num.String(), true
	case ir.OpBool:
		return fmt.Sprintf("b:%t", lit.Bool), true
	}
	return "", false
}

// number is the numeric value of a literal: a band's rank for CmpBand.
func number(t ir.CmpType, lit ir.Expr) (decimal.D, bool) {
	if t == ir.CmpBand {
		r, ok := ir.BandRank(lit.Str)
		return decimal.Int(int64(r)), ok && lit.Op == ir.OpStr
	}
	return lit.Num, lit.Op == ir.OpNum
}

// ---- domains ----

type dkind int

const (
	dSet   dkind = iota + 1 // vals, or everything but vals when neg
	dRange                  // numbers between lo and hi
	dOpaque
)

type bound struct {
	v   decimal.D
	inc bool
	inf bool
}

// domain is a set of values of an operand, plus null when null is set.
type domain struct {
	kind   dkind
	neg    bool
	vals   []string
	lo, hi bound
	null   bool
}

// complement returns the values (null included) for which the leaf is
// false.
func (d domain) complement() domain {
	switch d.kind {
	case dSet:
		return domain{kind: dSet, neg: !d.neg, vals: d.vals, null: !d.null}
	case dRange:
		switch {
		case d.lo.inf && !d.hi.inf:
			return domain{kind: dRange, lo: bound{v: d.hi.v, inc: !d.hi.inc}, hi: bound{inf: true}, null: !d.null}
		case d.hi.inf && !d.lo.inf:
			return domain{kind: dRange, lo: bound{inf: true}, hi: bound{v: d.lo.v, inc: !d.lo.inc}, null: !d.null}
		}
	}
	return domain{kind: dOpaque, null: true}
}

// containsNum reports whether the number p (encoded "n:…") lies in range
// d; ok is false when p is not a number.
func (d domain) containsNum(p string) (in, ok bool) {
	v, isNum := strings.CutPrefix(p, "n:")
	n, err := decimal.Parse(v)
	if !isNum || err != nil {
		return false, false
	}
	if !d.lo.inf && (n < d.lo.v || n == d.lo.v && !d.lo.inc) {
		return false, true
	}
	if !d.hi.inf && (n > d.hi.v || n == d.hi.v && !d.hi.inc) {
		return false, true
	}
	return true, true
}

// emptyMeet reports whether no value lies in both domains.
func emptyMeet(a, b domain) bool {
	if a.null && b.null || a.kind == dOpaque || b.kind == dOpaque {
		return false
	}
	if a.kind == dRange && b.kind == dSet {
		a, b = b, a
	}
	switch {
	case a.kind == dSet && b.kind == dSet:
		switch {
		case !a.neg && !b.neg:
			return !slices.ContainsFunc(a.vals, func(v string) bool { return slices.Contains(b.vals, v) })
		case !a.neg && b.neg:
			return allIn(a.vals, b.vals)
		case a.neg && !b.neg:
			return allIn(b.vals, a.vals)
		}
		return false
	case a.kind == dSet && b.kind == dRange:
		if a.neg {
			return false
		}
		for _, v := range a.vals {
			if in, ok := b.containsNum(v); !ok || in {
				return false
			}
		}
		return true
	}
	// Two ranges.
	lo, hi := maxLo(a.lo, b.lo), minHi(a.hi, b.hi)
	if lo.inf || hi.inf {
		return false
	}
	return lo.v > hi.v || lo.v == hi.v && !(lo.inc && hi.inc)
}

// subset reports whether every value of a is in b.
func subset(a, b domain) bool {
	if a.null && !b.null || a.kind == dOpaque || b.kind == dOpaque {
		return false
	}
	switch {
	case a.kind == dSet && b.kind == dSet:
		switch {
		case !a.neg && !b.neg:
			return allIn(a.vals, b.vals)
		case !a.neg && b.neg:
			return !slices.ContainsFunc(a.vals, func(v string) bool { return slices.Contains(b.vals, v) })
		case a.neg && b.neg:
			return allIn(b.vals, a.vals)
		}
		return false
	case a.kind == dSet && b.kind == dRange:
		if a.neg {
			return false
		}
		for _, v := range a.vals {
			if in, ok := b.containsNum(v); !ok || !in {
				return false
			}
		}
		return true
	case a.kind == dRange && b.kind == dRange:
		return !looser(a.lo, b.lo, true) && !looser(a.hi, b.hi, false)
	}
	return false
}

// looser reports whether bound x admits values that bound y excludes (x is
// a lower bound when lower).
func looser(x, y bound, lower bool) bool {
	switch {
	case y.inf:
		return false
	case x.inf:
		return true
	case x.v == y.v:
		return x.inc && !y.inc
	case lower:
		return x.v < y.v
	}
	return x.v > y.v
}

func maxLo(a, b bound) bound {
	if a.inf || !b.inf && (b.v > a.v || b.v == a.v && !b.inc) {
		return b
	}
	return a
}

func minHi(a, b bound) bound {
	if a.inf || !b.inf && (b.v < a.v || b.v == a.v && !b.inc) {
		return b
	}
	return a
}

func allIn(xs, ys []string) bool {
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			return false
		}
	}
	return true
}

// disjoint reports whether no finding can satisfy both a and b.
func disjoint(a, b formula) bool {
	switch {
	case a.op == opFalse || b.op == opFalse:
		return true
	case a.op == opTrue || b.op == opTrue:
		return false
	case a.op == opOr:
		return allArgs(a.args, func(x formula) bool { return disjoint(x, b) })
	case b.op == opOr:
		return allArgs(b.args, func(x formula) bool { return disjoint(a, x) })
	case a.op == opAnd:
		return slices.ContainsFunc(a.args, func(x formula) bool { return disjoint(x, b) })
	case b.op == opAnd:
		return slices.ContainsFunc(b.args, func(x formula) bool { return disjoint(a, x) })
	}
	return a.key == b.key && emptyMeet(a.dom, b.dom)
}

// implies reports whether every finding satisfying a satisfies b (false
// when unsure).
func implies(a, b formula) bool {
	switch {
	case a.op == opFalse || b.op == opTrue:
		return true
	case b.op == opFalse || a.op == opTrue:
		return false
	case a.op == opOr:
		return allArgs(a.args, func(x formula) bool { return implies(x, b) })
	case b.op == opAnd:
		return allArgs(b.args, func(x formula) bool { return implies(a, x) })
	case a.op == opAnd:
		return slices.ContainsFunc(a.args, func(x formula) bool { return implies(x, b) }) || disjoint(a, a)
	case b.op == opOr:
		return slices.ContainsFunc(b.args, func(x formula) bool { return implies(a, x) })
	}
	return a.key == b.key && subset(a.dom, b.dom)
}

func allArgs(fs []formula, f func(formula) bool) bool {
	for _, x := range fs {
		if !f(x) {
			return false
		}
	}
	return true
}
