package policyset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/dsl/lint"
	"github.com/stella-policy/stella/internal/ir"
)

// Member is one policy version of a set.
type Member struct {
	Ref    string // P-n@v, or the file it was read from
	Digest string // IR digest
	Policy *ir.Policy
	// SourceMap, when known, puts condition text and positions into the
	// explain traces of a set evaluation.
	SourceMap *ir.SourceMap
	// Registered is the registry id (P-n), "" for a file: exceptions
	// scoped to a policy apply to its member only.
	Registered string
	Scope      ir.Scope
	Mode       string // ir.Enforce*
}

// NewMember reads a policy's scope and enforcement mode.
func NewMember(ref, digest string, p *ir.Policy) (Member, error) {
	s, err := ir.PolicyScope(p.Metadata)
	if err != nil {
		return Member{}, fmt.Errorf("%s: %v", ref, err)
	}
	mode, err := ir.PolicyEnforcement(p)
	if err != nil {
		return Member{}, fmt.Errorf("%s: %v", ref, err)
	}
	return Member{Ref: ref, Digest: digest, Policy: p, Scope: s, Mode: mode}, nil
}

func (m Member) enforcing() bool { return m.Mode == ir.EnforceEnforce || m.Mode == ir.EnforceWarn }

// Conflict types and severities (docs/governance.md "Conflicts across
// policies").
const (
	ScopeOverlap           = "SCOPE_OVERLAP"
	ThresholdContradiction = "THRESHOLD_CONTRADICTION"
	TemporalConflict       = "TEMPORAL_CONFLICT"
	PriorityOverride       = "PRIORITY_OVERRIDE"

	Blocking = "BLOCKING"
	Warning  = "WARNING"
)

// Conflict is one conflict between two policies of a set (or two rules of
// one policy, for PRIORITY_OVERRIDE).
type Conflict struct {
	Type        string `json:"type"`
	Severity    string `json:"severity"`
	PolicyA     string `json:"policyA"`
	PolicyB     string `json:"policyB"`
	Subject     string `json:"subject"` // the setting, or the two rules
	Explanation string `json:"explanation"`
	Action      string `json:"recommendedAction"`
}

// Conflicts finds the conflicts among ms, pairwise in the order given, and
// the PRIORITY_OVERRIDEs inside each policy. Each pair of policies is
// looked at from IR and metadata only.
func Conflicts(ms []Member) []Conflict {
	var out []Conflict
	for i := range ms {
		out = append(out, priorityWithin(ms[i])...)
		for j := i + 1; j < len(ms); j++ {
			out = append(out, pair(ms[i], ms[j])...)
		}
	}
	sortConflicts(out)
	return out
}

// CountBlocking counts the BLOCKING conflicts.
func CountBlocking(cs []Conflict) int {
	n := 0
	for _, c := range cs {
		if c.Severity == Blocking {
			n++
		}
	}
	return n
}

func pair(a, b Member) []Conflict {
	if a.Mode == ir.EnforceDisabled && b.Mode == ir.EnforceDisabled {
		return nil
	}
	ov := Overlap(a.Scope, b.Scope)
	if ov == No {
		return nil
	}
	var out []Conflict
	if a.Mode != b.Mode {
		out = append(out, Conflict{Type: ScopeOverlap, Severity: Warning, PolicyA: a.Ref, PolicyB: b.Ref, Subject: "enforcement",
			Explanation: fmt.Sprintf("%s (%s, scope %s) and %s (%s, scope %s) %s the same findings with different enforcement modes: one %s what the other %s",
				a.Ref, a.Mode, a.Scope, b.Ref, b.Mode, b.Scope, bothVerb(ov), modeVerb(a.Mode), modeVerb(b.Mode)),
			Action: "align the enforcement modes, or narrow the scopes so that they do not overlap"})
	}
	if !a.enforcing() || !b.enforcing() {
		return out
	}
	out = append(out, thresholds(a, b, ov)...)
	out = append(out, rulesAcross(a, b)...)
	return out
}

func bothVerb(ov Tri) string {
	if ov == Maybe {
		return "may both apply to"
	}
	return "both apply to"
}

func modeVerb(mode string) string {
	switch mode {
	case ir.EnforceEnforce:
		return "enforces"
	case ir.EnforceWarn:
		return "only warns on"
	case ir.EnforceAudit:
		return "only audits"
	}
	return "ignores"
}

// strictness orders the values of a gate or setting: a higher rank is
// stricter. Settings with no such order are not compared.
func strictness(key string, v ir.Value) (decimal.D, bool) {
	switch key {
	case "max_critical", "max_high", "max_medium", "max_feed_age_days", "unknowns_budget", "unknowns_budget_vex", "unknowns_budget_reachability",
		"unknowns_budget_epss", "unchecked_budget", "score_threshold", "epss_threshold":
		if v.Kind == ir.ValNumber {
			return -v.Num, true // a lower limit or threshold blocks more
		}
	case "block_kev":
		if v.Kind == ir.ValBool && v.Bool {
			return decimal.One, true
		}
		return 0, v.Kind == ir.ValBool
	case "new_findings_only":
		if v.Kind == ir.ValBool && !v.Bool {
			return decimal.One, true
		}
		return 0, v.Kind == ir.ValBool
	case "default_status":
		if v.Kind == ir.ValString {
			return decimal.Int(int64(verdictRank(v.Str))), true
		}
	}
	return 0, false
}

// thresholds reports THRESHOLD_CONTRADICTION: the same gate or setting with
// different values on overlapping scopes. In a set the stricter value wins
// where both apply, so the looser value is contradicted; BLOCKING when the
// looser policy's scope lies inside the stricter one's (its value can never
// take effect), WARNING when only part of it does or the analysis cannot
// tell. A stricter value on a narrower scope is a refinement, not a
// conflict.
func thresholds(a, b Member, ov Tri) []Conflict {
	var out []Conflict
	for _, fa := range a.Policy.Settings {
		fb, ok := b.Policy.Settings.Get(fa.Key)
		if !ok {
			continue
		}
		ra, oka := strictness(fa.Key, fa.Value)
		rb, okb := strictness(fa.Key, fb)
		if !oka || !okb || ra == rb {
			continue
		}
		strict, loose := a, b
		sv, lv := fa.Value, fb
		if rb > ra {
			strict, loose, sv, lv = b, a, fb, fa.Value
		}
		c := Conflict{Type: ThresholdContradiction, PolicyA: a.Ref, PolicyB: b.Ref, Subject: fa.Key}
		switch {
		case Contains(strict.Scope, loose.Scope):
			c.Severity = Blocking
			c.Explanation = fmt.Sprintf("%s sets %s = %s on scope %s, which lies inside %s's scope %s where %s = %s; the stricter value always wins, so %s's can never take effect",
				loose.Ref, fa.Key, valueText(lv), loose.Scope, strict.Ref, strict.Scope, fa.Key, valueText(sv), loose.Ref)
			c.Action = fmt.Sprintf("remove %s from %s or make it at least as strict as %s; or change %s in %s", fa.Key, loose.Ref, valueText(sv), fa.Key, strict.Ref)
		case Contains(loose.Scope, strict.Scope) && !Contains(strict.Scope, loose.Scope):
			continue // a stricter value on a narrower scope: an overlay refining a baseline
		default:
			c.Severity = Warning
			c.Explanation = fmt.Sprintf("%s sets %s = %s (scope %s) and %s sets %s = %s (scope %s); where both %s, %s's stricter value wins",
				loose.Ref, fa.Key, valueText(lv), loose.Scope, strict.Ref, fa.Key, valueText(sv), strict.Scope, applyVerb(ov), strict.Ref)
			c.Action = "narrow one scope, or give both the same value where they overlap"
		}
		out = append(out, c)
	}
	return out
}

func applyVerb(ov Tri) string {
	if ov == Maybe {
		return "may apply"
	}
	return "apply"
}

func valueText(v ir.Value) string {
	switch v.Kind {
	case ir.ValString:
		return ir.Quote(v.Str)
	case ir.ValNumber:
		return v.Num.String()
	case ir.ValBool:
		return fmt.Sprint(v.Bool)
	}
	return string(v.Kind)
}

// verdictRank orders verdicts by restrictiveness: blocked > warned >
// passed > quieted > ignored. A VEX status decides no verdict (0), except
// not_affected and fixed, which pass.
func verdictRank(s string) int {
	switch s {
	case "blocked":
		return 5
	case "warned":
		return 4
	case "passed", "not_affected", "fixed":
		return 3
	case "quieted":
		return 2
	case "ignored":
		return 1
	}
	return 0
}

// branch is one status decision of a rule.
type branch struct {
	rule   *ir.Rule
	b      lint.Branch
	status string
	until  string // ignore until a literal time
}

func branches(p *ir.Policy) []branch {
	var out []branch
	for i := range p.Rules {
		r := &p.Rules[i]
		for _, b := range []lint.Branch{{When: r.When, Actions: r.Then}, {When: r.When, Else: true, Actions: r.Else}} {
			st := b.Status()
			if st == "" {
				continue
			}
			br := branch{rule: r, b: b, status: st}
			for _, a := range b.Actions {
				if a.Kind == ir.ActIgnore && a.Until != nil && a.Until.Op == ir.OpStr {
					br.until = a.Until.Str
				}
			}
			out = append(out, br)
		}
	}
	return out
}

func prio(r *ir.Rule) string {
	if r.Priority == nil {
		return "no priority"
	}
	return fmt.Sprintf("priority %d", *r.Priority)
}

// higher reports whether rule x has a higher priority (runs earlier) than y.
func higher(x, y *ir.Rule) bool {
	return x.Priority != nil && (y.Priority == nil || *x.Priority < *y.Priority)
}

// rulesAcross reports TEMPORAL_CONFLICT and PRIORITY_OVERRIDE between the
// rules of two enforcing policies whose scopes may overlap.
func rulesAcross(a, b Member) []Conflict {
	var out []Conflict
	ba, bb := branches(a.Policy), branches(b.Policy)
	for _, x := range ba {
		for _, y := range bb {
			if x.status == y.status && x.until == y.until || !lint.MayOverlap(x.b, y.b) {
				continue
			}
			if x.until != "" || y.until != "" {
				q, o, qm, om := x, y, a, b
				if x.until == "" {
					q, o, qm, om = y, x, b, a
				}
				c := Conflict{Type: TemporalConflict, Severity: Warning, PolicyA: a.Ref, PolicyB: b.Ref, Subject: x.rule.Name + " / " + y.rule.Name}
				if o.until != "" {
					c.Explanation = fmt.Sprintf("rule %s of %s quiets findings until %s and rule %s of %s until %s, on findings both may match: between the two times one quiets what the other does not",
						q.rule.Name, qm.Ref, q.until, o.rule.Name, om.Ref, o.until)
				} else {
					c.Explanation = fmt.Sprintf("rule %s of %s quiets findings until %s, while rule %s of %s decides %q on findings both may match: in a set the most restrictive verdict wins, so the quiet window has no effect there",
						q.rule.Name, qm.Ref, q.until, o.rule.Name, om.Ref, o.status)
				}
				c.Action = "give both policies the same window (or an exception with one timebox), or make the rules' conditions disjoint"
				out = append(out, c)
				continue
			}
			// The rule that loses by priority but wins by restrictiveness.
			hi, lo, hm, lm := x, y, a, b
			if higher(y.rule, x.rule) {
				hi, lo, hm, lm = y, x, b, a
			} else if !higher(x.rule, y.rule) {
				continue
			}
			if verdictRank(lo.status) <= verdictRank(hi.status) || verdictRank(hi.status) == 0 {
				continue
			}
			out = append(out, Conflict{Type: PriorityOverride, Severity: Warning, PolicyA: a.Ref, PolicyB: b.Ref, Subject: hi.rule.Name + " / " + lo.rule.Name,
				Explanation: fmt.Sprintf("rule %s of %s (%s) decides %q, but rule %s of %s (%s, lower) decides %q on findings both may match; in a set the most restrictive verdict wins, so the lower-priority rule overrides the higher one",
					hi.rule.Name, hm.Ref, prio(hi.rule), hi.status, lo.rule.Name, lm.Ref, prio(lo.rule), lo.status),
				Action: fmt.Sprintf("make the conditions disjoint, or align %s's decision with %s's", lm.Ref, hm.Ref)})
		}
	}
	return out
}

// priorityWithin reports PRIORITY_OVERRIDE inside one policy: two rules
// with different explicit priorities that may match the same finding and
// decide contradictory literal verdicts, one blocking and the other
// passing, quieting or ignoring. The lower-priority rule's decision never
// takes effect where they overlap (first status wins, docs/dsl.md §4).
func priorityWithin(m Member) []Conflict {
	var out []Conflict
	bs := branches(m.Policy)
	for i, x := range bs {
		for _, y := range bs[i+1:] {
			if x.rule == y.rule || x.rule.Priority == nil || y.rule.Priority == nil || *x.rule.Priority == *y.rule.Priority {
				continue
			}
			hi, lo := x, y
			if higher(y.rule, x.rule) {
				hi, lo = y, x
			}
			rh, rl := verdictRank(hi.status), verdictRank(lo.status)
			if rh == 0 || rl == 0 || (rh == 5) == (rl == 5) || !lint.MayOverlap(x.b, y.b) {
				continue
			}
			out = append(out, Conflict{Type: PriorityOverride, Severity: Warning, PolicyA: m.Ref, PolicyB: m.Ref, Subject: hi.rule.Name + " / " + lo.rule.Name,
				Explanation: fmt.Sprintf("rule %s (%s) decides %q before rule %s (%s) decides %q, on findings both may match: the first status wins, so %s never takes effect there",
					hi.rule.Name, prio(hi.rule), hi.status, lo.rule.Name, prio(lo.rule), lo.status, lo.rule.Name),
				Action: fmt.Sprintf("narrow %s's condition so that the two are disjoint, or confirm that %s is meant to take precedence", hi.rule.Name, hi.rule.Name)})
		}
	}
	return out
}

// sortConflicts orders conflicts: BLOCKING first, then type, policies, subject.
func sortConflicts(cs []Conflict) {
	slices.SortStableFunc(cs, func(x, y Conflict) int {
		if x.Severity != y.Severity {
			return strings.Compare(x.Severity, y.Severity) // BLOCKING < WARNING
		}
		return strings.Compare(x.Type+x.PolicyA+x.PolicyB+x.Subject, y.Type+y.PolicyA+y.PolicyB+y.Subject)
	})
}

// ConflictReport is `policy conflicts`: the members compared and their
// conflicts, counted by severity.
type ConflictReport struct {
	Policies  []string   `json:"policies"`
	Conflicts []Conflict `json:"conflicts"`
	Blocking  int        `json:"blocking"`
	Warnings  int        `json:"warnings"`
}

// Report compares ms (Conflicts) and counts what it finds.
func Report(ms []Member) *ConflictReport {
	rep := &ConflictReport{Policies: []string{}, Conflicts: Conflicts(ms)}
	for _, m := range ms {
		rep.Policies = append(rep.Policies, m.Ref)
	}
	if rep.Conflicts == nil {
		rep.Conflicts = []Conflict{}
	}
	rep.Blocking = CountBlocking(rep.Conflicts)
	rep.Warnings = len(rep.Conflicts) - rep.Blocking
	return rep
}
