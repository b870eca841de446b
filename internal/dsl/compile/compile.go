// Package compile owns the lowering of a checked stella-dsl@1 syntax tree to
// the IR (internal/ir) and its source map.
//
// The IR depends only on the meaning of the policy. Rules are put in
// evaluation order (priority ascending, rules without a priority after all
// that have one, then name); and/or chains are flattened; parentheses
// vanish; `x not in y` becomes not(in(x, y)); numbers become canonical
// decimals and strings their decoded values; env field names are
// lower-cased (env keys are case-insensitive); metadata, settings, profile
// scalars and object literals become key-sorted Fields; requireVex lists are
// sorted and deduplicated. Positions, comments and layout go only to the
// SourceMap, so they never change the digest.
package compile

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/dsl/check"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

// Compile lowers f, which must have passed check.Check without errors (info
// is its result), to a policy and a source map. src is the source f was
// parsed from; the source map quotes each rule's condition from it. The
// source map's Digest is left empty for the caller, who encodes the policy.
func Compile(f *syntax.File, info *check.Info, src []byte) (*ir.Policy, *ir.SourceMap) {
	c := &compiler{info: info}
	pol := f.Policy
	p := &ir.Policy{
		IRVersion: ir.Version,
		Syntax:    ir.Syntax,
		PolicyID:  pol.Name.Value,
		Metadata:  ir.Fields{},
		Settings:  ir.Fields{},
		Profiles:  []ir.Profile{},
		Rules:     []ir.Rule{},
	}
	type ruleSrc struct {
		rule ir.Rule
		src  ir.RuleSource
	}
	var rules []ruleSrc
	for _, s := range pol.Sections {
		switch s := s.(type) {
		case *syntax.Block:
			if s.Keyword == "metadata" {
				p.Metadata = c.fields(s.Entries)
			} else {
				p.Settings = c.fields(s.Entries)
			}
		case *syntax.Profile:
			p.Profiles = append(p.Profiles, c.profile(s))
		case *syntax.Rule:
			r, rs := c.rule(s, src)
			rules = append(rules, ruleSrc{r, rs})
		}
	}
	slices.SortFunc(p.Profiles, func(a, b ir.Profile) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(rules, func(a, b ruleSrc) int { return Order(&a.rule, &b.rule) })
	sm := &ir.SourceMap{File: f.Name, Rules: []ir.RuleSource{}}
	for _, r := range rules {
		p.Rules = append(p.Rules, r.rule)
		sm.Rules = append(sm.Rules, r.src)
	}
	return p, sm
}

// Order is the evaluation order of rules: priority ascending, rules without
// a priority after every rule that has one, then name.
func Order(a, b *ir.Rule) int {
	switch {
	case a.Priority != nil && b.Priority == nil:
		return -1
	case a.Priority == nil && b.Priority != nil:
		return 1
	case a.Priority != nil && *a.Priority != *b.Priority:
		return cmp.Compare(*a.Priority, *b.Priority)
	}
	return strings.Compare(a.Name, b.Name)
}

type compiler struct {
	info *check.Info
}

func (c *compiler) profile(s *syntax.Profile) ir.Profile {
	pr := ir.Profile{Name: s.Name.Name, Maps: []ir.Map{}, Envs: []ir.Env{}}
	var scalars []*syntax.KV
	for _, it := range s.Items {
		switch it := it.(type) {
		case *syntax.MapBlock:
			m := ir.Map{Name: it.Name.Name, Entries: []ir.MapEntry{}}
			for _, e := range it.Entries {
				m.Entries = append(m.Entries, ir.MapEntry{Key: e.Key.Name, Match: e.Match.Value, Delta: c.info.Nums[e.Delta]})
			}
			pr.Maps = append(pr.Maps, m)
		case *syntax.EnvBlock:
			en := ir.Env{Name: it.Name.Name, Entries: []ir.EnvEntry{}}
			for _, e := range it.Entries {
				en.Entries = append(en.Entries, ir.EnvEntry{When: c.expr(e.Cond), Delta: c.info.Nums[e.Delta]})
			}
			pr.Envs = append(pr.Envs, en)
		case *syntax.KV:
			scalars = append(scalars, it)
		}
	}
	pr.Scalars = c.fields(scalars)
	return pr
}

func (c *compiler) rule(s *syntax.Rule, src []byte) (ir.Rule, ir.RuleSource) {
	r := ir.Rule{Name: s.Name.Name, When: c.expr(s.When), Then: c.actions(s.Then), Else: c.actions(s.Else)}
	if s.Priority != nil {
		n := int(c.info.Nums[s.Priority] / decimal.One)
		r.Priority = &n
	}
	if s.Because != nil {
		r.Because = s.Because.Value
	}
	when := s.When.Span()
	rs := ir.RuleSource{
		Name:     r.Name,
		Span:     irSpan(s.Span()),
		When:     irSpan(when),
		WhenText: string(src[when.Start.Offset:when.End.Offset]),
		Then:     spans(s.Then),
		Else:     spans(s.Else),
	}
	return r, rs
}

func spans(as []syntax.Action) []ir.Span {
	if as == nil {
		return nil
	}
	out := make([]ir.Span, len(as))
	for i, a := range as {
		out[i] = irSpan(a.Span())
	}
	return out
}

func (c *compiler) actions(as []syntax.Action) []ir.Action {
	if as == nil {
		return nil
	}
	out := make([]ir.Action, 0, len(as))
	for _, a := range as {
		out = append(out, c.action(a))
	}
	return out
}

func (c *compiler) action(a syntax.Action) ir.Action {
	switch a := a.(type) {
	case *syntax.AssignAction:
		kind := ir.ActStatus
		if a.Target == "severity" {
			kind = ir.ActSeverity
		}
		return ir.Action{Kind: kind, Value: c.exprPtr(a.Value)}
	case *syntax.AnnotateAction:
		return ir.Action{Kind: ir.ActAnnotate, Key: a.Key.Name, Value: c.exprPtr(a.Value)}
	case *syntax.WarnAction:
		out := ir.Action{Kind: ir.ActWarn}
		if a.Message != nil {
			out.Message = a.Message.Value
		}
		return out
	case *syntax.EscalateAction:
		return ir.Action{Kind: ir.ActEscalate, Value: c.exprPtr(a.Value)}
	case *syntax.RequireVexAction:
		out := ir.Action{Kind: ir.ActRequireVex}
		for _, kv := range a.Body.Entries {
			var vals []string
			for _, e := range kv.Value.(*syntax.ListLit).Elems {
				vals = append(vals, e.(*syntax.StringLit).Value)
			}
			slices.Sort(vals)
			vals = slices.Compact(vals)
			if vals == nil {
				vals = []string{}
			}
			if kv.Key.Name == "vendors" {
				out.Vendors = vals
			} else {
				out.Justifications = vals
			}
		}
		return out
	case *syntax.IgnoreAction:
		out := ir.Action{Kind: ir.ActIgnore}
		if a.Until != nil {
			out.Until = c.exprPtr(a.Until)
		}
		return out
	}
	panic("compile: unknown action")
}

// fields turns key/value entries into sorted Fields. The checker has
// rejected duplicate keys.
func (c *compiler) fields(kvs []*syntax.KV) ir.Fields {
	fs := make(ir.Fields, 0, len(kvs))
	for _, kv := range kvs {
		fs = append(fs, ir.Field{Key: kv.Key.Name, Value: c.value(kv.Value)})
	}
	slices.SortFunc(fs, func(a, b ir.Field) int { return strings.Compare(a.Key, b.Key) })
	return fs
}

func (c *compiler) value(x syntax.Expr) ir.Value {
	switch x := x.(type) {
	case *syntax.StringLit:
		return ir.Value{Kind: ir.ValString, Str: x.Value}
	case *syntax.NumberLit:
		return ir.Value{Kind: ir.ValNumber, Num: c.info.Nums[x]}
	case *syntax.BoolLit:
		return ir.Value{Kind: ir.ValBool, Bool: x.Value}
	case *syntax.ListLit:
		l := make([]ir.Value, 0, len(x.Elems))
		for _, e := range x.Elems {
			l = append(l, c.value(e))
		}
		return ir.Value{Kind: ir.ValList, List: l}
	case *syntax.ObjectLit:
		return ir.Value{Kind: ir.ValObject, Fields: c.fields(x.Entries)}
	}
	return ir.Value{Kind: ir.ValNull}
}

func (c *compiler) exprPtr(x syntax.Expr) *ir.Expr {
	e := c.expr(x)
	return &e
}

var cmpOps = map[string]ir.Op{"==": ir.OpEq, "!=": ir.OpNe, "<": ir.OpLt, "<=": ir.OpLe, ">": ir.OpGt, ">=": ir.OpGe, "in": ir.OpIn, "not in": ir.OpIn}

// expr lowers an expression.
func (c *compiler) expr(x syntax.Expr) ir.Expr {
	switch x := x.(type) {
	case *syntax.StringLit:
		return ir.Expr{Op: ir.OpStr, Str: x.Value}
	case *syntax.NumberLit:
		return ir.Expr{Op: ir.OpNum, Num: c.info.Nums[x]}
	case *syntax.BoolLit:
		return ir.Expr{Op: ir.OpBool, Bool: x.Value}
	case *syntax.NullLit:
		return ir.Expr{Op: ir.OpNull}
	case *syntax.ListLit:
		return ir.Expr{Op: ir.OpList, Args: c.exprs(x.Elems)}
	case *syntax.ParenExpr:
		return c.expr(x.X)
	case *syntax.Ident:
		return ir.Expr{Op: ir.OpElem, Name: c.info.Refs[x].Name}
	case *syntax.MemberExpr:
		ref := c.info.Refs[x]
		if ref.Kind == check.RefField {
			name := ref.Name
			if ref.NS == "env" {
				name = strings.ToLower(name)
			}
			return ir.Expr{Op: ir.OpRef, NS: ref.NS, Name: name}
		}
		return ir.Expr{Op: ir.OpMember, Name: ref.Name, X: c.exprPtr(x.X)}
	case *syntax.CallExpr:
		return ir.Expr{Op: ir.OpCall, Fn: c.info.Refs[x].Fn, Args: c.exprs(x.Args)}
	case *syntax.IndexExpr:
		return ir.Expr{Op: ir.OpIndex, X: c.exprPtr(x.X), Args: []ir.Expr{c.expr(x.Index)}}
	case *syntax.UnaryExpr:
		return ir.Expr{Op: ir.OpNot, Args: []ir.Expr{c.expr(x.X)}}
	case *syntax.BinaryExpr:
		switch x.Op {
		case "and", "or":
			op := ir.OpAnd
			if x.Op == "or" {
				op = ir.OpOr
			}
			return ir.Expr{Op: op, Args: c.flatten(x, x.Op, nil)}
		}
		e := ir.Expr{Op: cmpOps[x.Op], Type: c.info.Cmp[x], Args: []ir.Expr{c.expr(x.X), c.expr(x.Y)}}
		if x.Op == "not in" {
			return ir.Expr{Op: ir.OpNot, Args: []ir.Expr{e}}
		}
		return e
	}
	panic("compile: unknown expression")
}

// flatten appends the operands of a chain of one logical operator (through
// parentheses) to args, so that `a or (b or c)` lowers to one `or` of three.
// It appends in place: copying the operands at every level of a long chain
// would be quadratic.
func (c *compiler) flatten(x syntax.Expr, op string, args []ir.Expr) []ir.Expr {
	for {
		p, ok := x.(*syntax.ParenExpr)
		if !ok {
			break
		}
		x = p.X
	}
	if b, ok := x.(*syntax.BinaryExpr); ok && b.Op == op {
		return c.flatten(b.Y, op, c.flatten(b.X, op, args))
	}
	return append(args, c.expr(x))
}

func (c *compiler) exprs(xs []syntax.Expr) []ir.Expr {
	if len(xs) == 0 {
		return nil
	}
	out := make([]ir.Expr, len(xs))
	for i, x := range xs {
		out[i] = c.expr(x)
	}
	return out
}

// irSpan is a span as the source map stores it: positions without offsets.
func irSpan(s syntax.Span) ir.Span {
	return ir.Span{Start: ir.Pos{Line: s.Start.Line, Col: s.Start.Col}, End: ir.Pos{Line: s.End.Line, Col: s.End.Col}}
}
