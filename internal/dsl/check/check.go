// Package check owns the meaning of a parsed stella-dsl@1 policy before it is
// compiled: it resolves every name against the catalogue in internal/ir
// (namespaces, fields, functions, predicate scopes), gives every expression a
// static type, decides how each comparison compares (band, time, number, …),
// validates literals (timestamps, bands, statuses, numbers), and reports lint
// findings with stable dotted codes. The rule-set lints that need the
// compiled, ordered rules are the next phase, internal/dsl/lint.
//
// Resolution works in one pass over the tree. A bare identifier is a field of
// the element in scope (inside a predicate argument such as the one of
// vex.any) or an error; `ns.field` reads a namespace; `ns.fn(…)` and `fn(…)`
// call a catalogue function; `x.field` on an object value (vex.latest())
// reads its field. Every diagnostic names the place and, for unknown names,
// the nearest known one.
package check

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

// Type is the static type of an expression. Elem is the element type of a
// list, Object the name of an object's catalogue entry.
type Type struct {
	T      ir.Type
	Elem   ir.Type
	Object string
}

func (t Type) String() string {
	switch t.T {
	case ir.TList:
		if t.Elem != "" && t.Elem != ir.TAny {
			return "list of " + string(t.Elem)
		}
	case ir.TObject:
		if t.Object != "" {
			return t.Object
		}
	}
	return string(t.T)
}

// RefKind says what a name or call resolved to.
type RefKind int

// Resolutions.
const (
	RefField  RefKind = iota + 1 // a namespace field: NS.Name (a *syntax.MemberExpr)
	RefElem                      // a field of the element in predicate scope (a *syntax.Ident)
	RefMember                    // a field of an object value (a *syntax.MemberExpr)
	RefCall                      // a call of catalogue function Fn (a *syntax.CallExpr)
)

// Ref is the resolution of one name or call.
type Ref struct {
	Kind RefKind
	NS   string // RefField
	Name string // RefField, RefElem, RefMember
	Fn   string // RefCall
}

// Info is what the checker learnt, for the compiler.
type Info struct {
	Types map[syntax.Expr]Type
	Refs  map[syntax.Expr]Ref
	Cmp   map[*syntax.BinaryExpr]ir.CmpType
	Nums  map[*syntax.NumberLit]decimal.D
}

// Check resolves and type-checks a parsed file. It reports every problem it
// finds; the file compiles only when no diagnostic is an Error.
func Check(f *syntax.File) (*Info, []syntax.Diagnostic) {
	c := &checker{
		file: f.Name,
		info: &Info{
			Types: map[syntax.Expr]Type{},
			Refs:  map[syntax.Expr]Ref{},
			Cmp:   map[*syntax.BinaryExpr]ir.CmpType{},
			Nums:  map[*syntax.NumberLit]decimal.D{},
		},
	}
	if f.Policy != nil {
		c.policy(f.Policy)
	}
	return c.info, c.diags
}

type checker struct {
	file  string
	info  *Info
	diags []syntax.Diagnostic
}

func (c *checker) report(n syntax.Node, sev syntax.Severity, code, format string, args ...any) {
	sp := n.Span()
	c.diags = append(c.diags, syntax.Diagnostic{File: c.file, Pos: sp.Start, End: sp.End, Severity: sev, Code: code, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(n syntax.Node, code, format string, args ...any) {
	c.report(n, syntax.Error, code, format, args...)
}

func (c *checker) warnf(n syntax.Node, code, format string, args ...any) {
	c.report(n, syntax.Warning, code, format, args...)
}

// ---- sections ----

func (c *checker) policy(p *syntax.Policy) {
	if p.Syntax.Value != ir.Syntax {
		c.errorf(p.Syntax, "dsl.header.syntaxVersion", "syntax %s is not supported; this stella reads %q", ir.Quote(short(p.Syntax.Value)), ir.Syntax)
	}
	if strings.TrimSpace(p.Name.Value) == "" {
		c.errorf(p.Name, "dsl.header.emptyName", "policy name is empty")
	}
	var metadata, settings *syntax.Block
	profiles := map[string]*syntax.Profile{}
	rules := map[string]*syntax.Rule{}
	for _, s := range p.Sections {
		switch s := s.(type) {
		case *syntax.Block:
			first := &metadata
			if s.Keyword == "settings" {
				first = &settings
			}
			if *first != nil {
				c.errorf(s, "dsl.section.duplicate", "second %s block; the first is at %s", s.Keyword, (*first).KwPos)
				continue
			}
			*first = s
		case *syntax.Profile:
			if prev, ok := profiles[s.Name.Name]; ok {
				c.errorf(s.Name, "dsl.profile.duplicateName", "profile %s is already defined at %s", s.Name.Name, prev.KwPos)
				continue
			}
			profiles[s.Name.Name] = s
			c.profile(s)
		case *syntax.Rule:
			if prev, ok := rules[s.Name.Name]; ok {
				c.errorf(s.Name, "dsl.rule.duplicateName", "rule %s is already defined at %s", s.Name.Name, prev.KwPos)
			} else {
				rules[s.Name.Name] = s
			}
			c.rule(s)
		case *syntax.Imports:
			c.errorf(s, "dsl.imports.unsupported", "imports are reserved and not supported in %s", ir.Syntax)
		}
	}
	if metadata != nil {
		c.metadata(metadata)
	}
	severityProfile := "severity"
	if settings != nil {
		if name, ok := c.settings(settings, profiles); ok {
			severityProfile = name
		}
	}
	for _, s := range p.Sections {
		if pr, ok := s.(*syntax.Profile); ok && profiles[pr.Name.Name] == pr && pr.Name.Name != severityProfile && pr.Name.Name != "risk" {
			c.warnf(pr.Name, "dsl.profile.unused", "profile %s is never used: only the profile named by settings.severity_profile (default severity) adjusts severity", pr.Name.Name)
		}
	}
}

func (c *checker) metadata(b *syntax.Block) {
	seen := map[string]bool{}
	for _, kv := range b.Entries {
		if seen[kv.Key.Name] {
			c.errorf(kv.Key, "dsl.metadata.duplicateKey", "duplicate metadata key %s", kv.Key.Name)
		}
		seen[kv.Key.Name] = true
		t := c.value(kv.Value)
		switch kv.Key.Name {
		case "description":
			if t.T != ir.TString {
				c.errorf(kv.Value, "dsl.metadata.badValue", "metadata description must be a string, got %s", t)
			}
		case "tags":
			if t.T != ir.TList || (t.Elem != ir.TString && len(kv.Value.(*syntax.ListLit).Elems) > 0) {
				c.errorf(kv.Value, "dsl.metadata.badValue", "metadata tags must be a list of strings, got %s", t)
			}
		}
	}
}

// settings checks the settings block and returns the severity_profile it names.
func (c *checker) settings(b *syntax.Block, profiles map[string]*syntax.Profile) (severityProfile string, named bool) {
	seen := map[string]bool{}
	names := make([]string, len(ir.Settings))
	for i, s := range ir.Settings {
		names[i] = s.Name
	}
	for _, kv := range b.Entries {
		key := kv.Key.Name
		t := c.value(kv.Value)
		st, ok := ir.LookupSetting(key)
		if !ok {
			c.errorf(kv.Key, "dsl.settings.unknownKey", "unknown setting %s%s", key, didYouMean(key, names))
			continue
		}
		if seen[key] {
			c.errorf(kv.Key, "dsl.settings.duplicateKey", "duplicate setting %s", key)
			continue
		}
		seen[key] = true
		if t.T != st.Type {
			c.errorf(kv.Value, "dsl.settings.badValue", "setting %s must be a %s, got %s", key, st.Type, t)
			continue
		}
		switch key {
		case "default_status":
			s := kv.Value.(*syntax.StringLit).Value
			if !slices.Contains(ir.Verdicts, s) {
				c.errorf(kv.Value, "dsl.status.unknownValue", "default_status %s is not a verdict (%s)%s", ir.Quote(short(s)), strings.Join(ir.Verdicts, ", "), didYouMean(s, ir.Verdicts))
			}
		case "severity_profile":
			s := kv.Value.(*syntax.StringLit).Value
			if _, ok := profiles[s]; !ok {
				c.errorf(kv.Value, "dsl.settings.badValue", "severity_profile names no profile of this policy: %s", ir.Quote(short(s)))
			}
			severityProfile, named = s, true
		case "epss_threshold", "score_threshold":
			hi := decimal.One
			if key == "score_threshold" {
				hi = decimal.Ten
			}
			if d := c.info.Nums[kv.Value.(*syntax.NumberLit)]; d < 0 || d > hi {
				c.errorf(kv.Value, "dsl.settings.badValue", "setting %s must be between 0 and %s", key, hi)
			}
		case "max_critical", "max_high", "max_medium", "max_feed_age_days", "unknowns_budget", "unknowns_budget_vex", "unknowns_budget_reachability", "unknowns_budget_epss", "unchecked_budget":
			if d := c.info.Nums[kv.Value.(*syntax.NumberLit)]; d < 0 || d%decimal.One != 0 {
				c.errorf(kv.Value, "dsl.settings.badValue", "setting %s must be a whole number ≥ 0", key)
			}
		}
	}
	return severityProfile, named
}

func (c *checker) profile(p *syntax.Profile) {
	names := map[string]syntax.Pos{}
	dup := func(id *syntax.Ident) {
		if prev, ok := names[id.Name]; ok {
			c.errorf(id, "dsl.profile.duplicateName", "%s is already defined in profile %s at %s", id.Name, p.Name.Name, prev)
		}
		names[id.Name] = id.NamePos
	}
	for _, it := range p.Items {
		switch it := it.(type) {
		case *syntax.MapBlock:
			dup(it.Name)
			matches := map[string]bool{}
			for _, e := range it.Entries {
				if e.Key.Name != "source" {
					c.errorf(e.Key, "dsl.profile.unknownSelector", "unknown map selector %s: entries select by source%s", e.Key.Name, didYouMean(e.Key.Name, []string{"source"}))
				}
				if matches[e.Match.Value] {
					c.warnf(e.Match, "dsl.profile.duplicateEntry", "duplicate entry %s %s in map %s; both deltas apply", e.Key.Name, ir.Quote(short(e.Match.Value)), it.Name.Name)
				}
				matches[e.Match.Value] = true
				c.number(e.Delta)
			}
		case *syntax.EnvBlock:
			dup(it.Name)
			for _, e := range it.Entries {
				c.condition(e.Cond)
				c.number(e.Delta)
			}
		case *syntax.KV:
			dup(it.Key)
			c.value(it.Value)
			if p.Name.Name == "risk" {
				c.riskWeight(it)
			}
		}
	}
}

// riskWeights are the scalars `profile risk` may set: the weights of the
// risk score terms (docs/dsl.md "Risk score"), each a number in [0, 1].
var riskWeights = []string{"cvss", "epss", "kev", "reachability"}

func (c *checker) riskWeight(kv *syntax.KV) {
	if !slices.Contains(riskWeights, kv.Key.Name) {
		c.errorf(kv.Key, "dsl.profile.unknownWeight", "unknown risk weight %s (want cvss, epss, kev or reachability)%s", kv.Key.Name, didYouMean(kv.Key.Name, riskWeights))
		return
	}
	n, ok := kv.Value.(*syntax.NumberLit)
	if !ok {
		c.errorf(kv.Value, "dsl.profile.badWeight", "risk weight %s must be a number in [0, 1]", kv.Key.Name)
		return
	}
	if d := c.info.Nums[n]; d < 0 || d > decimal.One {
		c.errorf(kv.Value, "dsl.profile.badWeight", "risk weight %s must be a number in [0, 1], got %s", kv.Key.Name, short(n.Raw))
	}
}

func (c *checker) rule(r *syntax.Rule) {
	if r.Priority != nil {
		c.priority(r.Priority)
	}
	c.condition(r.When)
	c.actions(r.Then)
	c.actions(r.Else)
	switch {
	case r.Because == nil:
		c.report(spanNode{syntax.Span{Start: r.KwPos, End: r.Name.Span().End}}, syntax.Error, "dsl.rule.missingBecause",
			"rule %s has no because clause; every rule must say why", r.Name.Name)
	case strings.TrimSpace(r.Because.Value) == "":
		c.warnf(r.Because, "dsl.rule.emptyBecause", "rule %s has an empty because", r.Name.Name)
	}
}

// MaxPriority bounds rule priorities.
const MaxPriority = 1_000_000_000

func (c *checker) priority(n *syntax.NumberLit) {
	for _, ch := range n.Raw {
		if ch < '0' || ch > '9' {
			c.errorf(n, "dsl.rule.badPriority", "priority must be a whole number ≥ 0, got %s", short(n.Raw))
			return
		}
	}
	if d := c.number(n); d > decimal.Int(MaxPriority) {
		c.errorf(n, "dsl.rule.badPriority", "priority %s is above the limit %d", n.Raw, MaxPriority)
	}
}

// spanNode lets a diagnostic cover an arbitrary span.
type spanNode struct{ sp syntax.Span }

func (s spanNode) Span() syntax.Span { return s.sp }

func (c *checker) condition(x syntax.Expr) {
	t := c.expr(x, nil)
	if !boolish(t) {
		c.errorf(x, "dsl.type.mismatch", "condition must be bool, got %s", t)
	}
}

func (c *checker) actions(as []syntax.Action) {
	var status syntax.Action
	annotations := map[string]bool{}
	for _, a := range as {
		switch a := a.(type) {
		case *syntax.AssignAction:
			t := c.expr(a.Value, nil)
			if a.Target == "status" {
				c.statusValue(a.Value, t)
			} else {
				c.severityValue(a.Value, t, "severity :=")
			}
		case *syntax.AnnotateAction:
			c.expr(a.Value, nil)
			if annotations[a.Key.Name] {
				c.warnf(a.Key, "dsl.action.duplicateAnnotation", "annotation %s is set twice in this branch; the last value wins", a.Key.Name)
			}
			annotations[a.Key.Name] = true
		case *syntax.WarnAction:
		case *syntax.EscalateAction:
			c.severityValue(a.Value, c.expr(a.Value, nil), "escalate to")
		case *syntax.RequireVexAction:
			c.requireVex(a.Body)
		case *syntax.IgnoreAction:
			if a.Until != nil {
				t := c.expr(a.Until, nil)
				if !assignable(t.T, ir.TTime) {
					c.errorf(a.Until, "dsl.type.mismatch", "ignore until needs a timestamp, got %s", t)
				}
				for _, s := range timeLiterals(a.Until) {
					c.timestamp(s)
				}
			}
		}
		if isStatusAction(a) {
			if status != nil {
				c.warnf(a, "dsl.action.duplicateStatus", "only the first status decision of a branch takes effect; this one (after %s) never does", status.Span().Start)
			} else {
				status = a
			}
		}
	}
}

func isStatusAction(a syntax.Action) bool {
	switch a := a.(type) {
	case *syntax.AssignAction:
		return a.Target == "status"
	case *syntax.IgnoreAction:
		return true
	}
	return false
}

// statusValue checks the value of `status :=`.
func (c *checker) statusValue(x syntax.Expr, t Type) {
	if s, ok := syntax.Unparen(x).(*syntax.StringLit); ok {
		if !slices.Contains(ir.Verdicts, s.Value) && !slices.Contains(ir.VEXStatuses, s.Value) {
			all := append(slices.Clone(ir.Verdicts), ir.VEXStatuses...)
			c.errorf(x, "dsl.status.unknownValue", "unknown status %s: want a verdict (%s) or a VEX status (%s)%s",
				ir.Quote(short(s.Value)), strings.Join(ir.Verdicts, ", "), strings.Join(ir.VEXStatuses, ", "), didYouMean(s.Value, all))
		}
		return
	}
	if t.T != ir.TString && t.T != ir.TAny {
		c.errorf(x, "dsl.type.mismatch", "status := needs a string, got %s", t)
	}
}

// severityValue checks the value of `severity :=` and `escalate to`: a
// band, a band name or a 0–10 score.
func (c *checker) severityValue(x syntax.Expr, t Type, what string) {
	switch v := syntax.Unparen(x).(type) {
	case *syntax.StringLit:
		c.band(v)
		return
	case *syntax.NumberLit:
		if n := c.info.Nums[v]; n < 0 || n > decimal.Int(10) {
			c.errorf(x, "dsl.literal.badNumber", "%s %s: a score is between 0 and 10", what, short(v.Raw))
		}
	}
	switch t.T {
	case ir.TBand, ir.TNumber, ir.TString, ir.TAny:
	default:
		c.errorf(x, "dsl.type.mismatch", "%s needs a band or a score, got %s", what, t)
	}
}

func (c *checker) requireVex(o *syntax.ObjectLit) {
	seen := map[string]bool{}
	for _, kv := range o.Entries {
		key := kv.Key.Name
		if key != "vendors" && key != "justifications" {
			c.errorf(kv.Key, "dsl.requireVex.unknownKey", "unknown requireVex key %s (want vendors or justifications)%s", key, didYouMean(key, []string{"justifications", "vendors"}))
			c.value(kv.Value)
			continue
		}
		if seen[key] {
			c.errorf(kv.Key, "dsl.requireVex.unknownKey", "duplicate requireVex key %s", key)
		}
		seen[key] = true
		l, ok := kv.Value.(*syntax.ListLit)
		if !ok {
			c.errorf(kv.Value, "dsl.requireVex.badValue", "requireVex %s must be a list of strings", key)
			c.value(kv.Value)
			continue
		}
		if len(l.Elems) == 0 {
			c.warnf(kv.Value, "dsl.requireVex.badValue", "requireVex %s is empty: no not_affected statement can be accepted", key)
		}
		for _, e := range l.Elems {
			s, ok := e.(*syntax.StringLit)
			if !ok {
				c.errorf(e, "dsl.requireVex.badValue", "requireVex %s must be a list of strings", key)
				c.value(e)
				continue
			}
			c.info.Types[e] = Type{T: ir.TString}
			if key == "justifications" && !slices.Contains(ir.VEXJustifications, s.Value) {
				c.warnf(e, "dsl.requireVex.unknownJustification", "%s is not an OpenVEX justification%s", ir.Quote(short(s.Value)), didYouMean(s.Value, ir.VEXJustifications))
			}
		}
		c.info.Types[l] = Type{T: ir.TList, Elem: ir.TString}
	}
}

// ---- literal values (metadata, settings, profile scalars) ----

// value types a literal value: string, number, bool, null, list or object.
func (c *checker) value(x syntax.Expr) Type {
	var t Type
	switch x := x.(type) {
	case *syntax.StringLit:
		t = Type{T: ir.TString}
	case *syntax.NumberLit:
		c.number(x)
		t = Type{T: ir.TNumber}
	case *syntax.BoolLit:
		t = Type{T: ir.TBool}
	case *syntax.NullLit:
		t = Type{T: ir.TNull}
	case *syntax.ListLit:
		var elems []ir.Type
		for _, e := range x.Elems {
			elems = append(elems, c.value(e).T)
		}
		t = Type{T: ir.TList, Elem: unify(elems)}
	case *syntax.ObjectLit:
		seen := map[string]bool{}
		for _, kv := range x.Entries {
			if seen[kv.Key.Name] {
				c.errorf(kv.Key, "dsl.literal.duplicateKey", "duplicate key %s in object", kv.Key.Name)
			}
			seen[kv.Key.Name] = true
			c.value(kv.Value)
		}
		t = Type{T: ir.TObject}
	}
	c.info.Types[x] = t
	return t
}

// number parses a number literal into Info.Nums.
func (c *checker) number(n *syntax.NumberLit) decimal.D {
	d, err := decimal.Parse(n.Raw)
	if err != nil {
		c.errorf(n, "dsl.literal.badNumber", "number %s is out of range", short(n.Raw))
	} else if _, frac, ok := strings.Cut(n.Raw, "."); ok && len(strings.TrimRight(frac, "0")) > 6 {
		c.errorf(n, "dsl.literal.badNumber", "number %s has more than 6 decimal places", short(n.Raw))
	}
	c.info.Nums[n] = d
	return d
}

func (c *checker) timestamp(s *syntax.StringLit) {
	if _, err := time.Parse(time.RFC3339, s.Value); err != nil {
		c.errorf(s, "dsl.literal.badTimestamp", "%s is not an RFC 3339 timestamp (like \"2026-01-01T00:00:00Z\")", ir.Quote(short(s.Value)))
	}
}

func (c *checker) band(s *syntax.StringLit) {
	if _, ok := ir.BandRank(s.Value); !ok {
		c.errorf(s, "dsl.type.badBand", "%s is not a severity band (%s)%s", ir.Quote(short(s.Value)), strings.Join(ir.Bands, ", "), didYouMean(s.Value, ir.Bands))
	}
}

// timeLiterals returns the string literals whose value becomes the
// timestamp: the expression itself or the arguments of coalesce.
func timeLiterals(x syntax.Expr) []*syntax.StringLit {
	switch x := syntax.Unparen(x).(type) {
	case *syntax.StringLit:
		return []*syntax.StringLit{x}
	case *syntax.CallExpr:
		if id, ok := x.Fn.(*syntax.Ident); ok && id.Name == "coalesce" {
			var out []*syntax.StringLit
			for _, a := range x.Args {
				out = append(out, timeLiterals(a)...)
			}
			return out
		}
	}
	return nil
}

// ---- types ----

func boolish(t Type) bool { return t.T == ir.TBool || t.T == ir.TAny }

// assignable reports whether a value of type from may be used where to is
// expected. Bands and times are strings; any and null fit everywhere.
func assignable(from, to ir.Type) bool {
	switch {
	case to == ir.TAny || from == ir.TAny || from == ir.TNull || from == to:
		return true
	case to == ir.TString:
		return from == ir.TBand || from == ir.TTime
	case to == ir.TTime || to == ir.TBand:
		return from == ir.TString
	}
	return false
}

// unify returns the common type of ts, ignoring nulls: a single type, string
// for strings mixed with bands or times, else any.
func unify(ts []ir.Type) ir.Type {
	var out ir.Type
	for _, t := range ts {
		switch {
		case t == ir.TNull:
		case out == "" || out == t:
			out = t
		case isStringy(out) && isStringy(t):
			out = ir.TString
		default:
			return ir.TAny
		}
	}
	if out == "" {
		return ir.TAny
	}
	return out
}

func isStringy(t ir.Type) bool { return t == ir.TString || t == ir.TBand || t == ir.TTime }

// maxQuoted is the most runes of a literal a message quotes; the source
// excerpt under the message shows the rest (docs/dsl.md §6).
const maxQuoted = 40

// short cuts a literal from the source to maxQuoted runes, "…" marking the
// cut, so a 5,000-digit number does not make a 5,000-character message.
func short(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted]) + "…"
}
