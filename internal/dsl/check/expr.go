package check

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

// This file resolves and types expressions.

// forbidden are names of functions a policy might reach for that would make
// evaluation depend on the clock or chance.
var forbidden = map[string]string{
	"now": "run.timestamp", "today": "run.timestamp", "time": "run.timestamp", "clock": "run.timestamp",
	"date": "run.timestamp", "random": "", "rand": "", "uuid": "",
}

// scope is the element in scope inside a predicate argument.
type scope struct {
	obj *ir.Object
}

// Names for suggestions, in catalogue order.
var (
	namespaceNames []string
	builtinNames   []string
)

func init() {
	for _, ns := range ir.Namespaces {
		namespaceNames = append(namespaceNames, ns.Name)
	}
	for _, f := range ir.Functions {
		if !strings.Contains(f.Name, ".") {
			builtinNames = append(builtinNames, f.Name)
		}
	}
}

func attrNames(as []ir.Attr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

func methodNames(ns string) []string {
	var out []string
	for _, f := range ir.Functions {
		if m, ok := strings.CutPrefix(f.Name, ns+"."); ok {
			out = append(out, m)
		}
	}
	return out
}

func attrType(a ir.Attr) Type { return Type{T: a.Type, Elem: a.Elem, Object: a.Object} }

// bad is the type of an expression that already has an error: it fits
// everywhere so one mistake is reported once.
var bad = Type{T: ir.TAny}

// expr resolves and types x, recording the result in Info.
func (c *checker) expr(x syntax.Expr, sc *scope) Type {
	t := c.expr1(x, sc)
	c.info.Types[x] = t
	return t
}

func (c *checker) expr1(x syntax.Expr, sc *scope) Type {
	switch x := x.(type) {
	case *syntax.StringLit:
		return Type{T: ir.TString}
	case *syntax.NumberLit:
		c.number(x)
		return Type{T: ir.TNumber}
	case *syntax.BoolLit:
		return Type{T: ir.TBool}
	case *syntax.NullLit:
		return Type{T: ir.TNull}
	case *syntax.ListLit:
		var elems []ir.Type
		for _, e := range x.Elems {
			elems = append(elems, c.expr(e, sc).T)
		}
		return Type{T: ir.TList, Elem: unify(elems)}
	case *syntax.ObjectLit:
		c.errorf(x, "dsl.type.mismatch", "an object literal cannot be used in an expression")
		return bad
	case *syntax.ParenExpr:
		return c.expr(x.X, sc)
	case *syntax.Ident:
		return c.ident(x, sc)
	case *syntax.MemberExpr:
		return c.member(x, sc)
	case *syntax.CallExpr:
		return c.call(x, sc)
	case *syntax.IndexExpr:
		xt := c.expr(x.X, sc)
		it := c.expr(x.Index, sc)
		switch xt.T {
		case ir.TList:
			if !assignable(it.T, ir.TNumber) {
				c.errorf(x.Index, "dsl.type.mismatch", "list index must be a number, got %s", it)
			}
			return Type{T: orAny(xt.Elem)}
		case ir.TAny:
			return bad
		}
		c.errorf(x, "dsl.type.mismatch", "cannot index a %s", xt)
		return bad
	case *syntax.UnaryExpr:
		if t := c.expr(x.X, sc); !boolish(t) {
			c.errorf(x.X, "dsl.type.mismatch", "operand of not must be bool, got %s", t)
		}
		return Type{T: ir.TBool}
	case *syntax.BinaryExpr:
		return c.binary(x, sc)
	}
	return bad
}

func orAny(t ir.Type) ir.Type {
	if t == "" {
		return ir.TAny
	}
	return t
}

// ident resolves a bare name: a field of the element in scope.
func (c *checker) ident(x *syntax.Ident, sc *scope) Type {
	if sc != nil {
		if a, ok := sc.obj.Attr(x.Name); ok {
			c.info.Refs[x] = Ref{Kind: RefElem, Name: x.Name}
			return attrType(a)
		}
	}
	if _, ok := ir.LookupNamespace(x.Name); ok {
		c.errorf(x, "dsl.ref.notValue", "%s is a namespace, not a value; use one of its fields, like %s.%s", x.Name, x.Name, firstField(x.Name))
		return bad
	}
	if _, ok := ir.LookupFunc(x.Name); ok {
		c.errorf(x, "dsl.ref.notValue", "%s is a function; call it: %s(…)", x.Name, x.Name)
		return bad
	}
	if sc != nil {
		c.errorf(x, "dsl.ref.unknownName", "unknown name %s: not a field of %s%s", x.Name, sc.obj.Name, didYouMean(x.Name, attrNames(sc.obj.Attrs)))
		return bad
	}
	cands := slices.Concat(namespaceNames, builtinNames)
	c.errorf(x, "dsl.ref.unknownName", "unknown name %s; names are namespace fields such as severity.score (bare names only inside vex.any/vex.all predicates)%s", x.Name, didYouMean(x.Name, cands))
	return bad
}

func firstField(ns string) string {
	n, _ := ir.LookupNamespace(ns)
	if len(n.Attrs) == 0 {
		return "key"
	}
	return n.Attrs[0].Name
}

// member resolves X.Name: a namespace field or a field of an object value.
func (c *checker) member(x *syntax.MemberExpr, sc *scope) Type {
	if id, ok := x.X.(*syntax.Ident); ok && !inScope(id.Name, sc) {
		ns, ok := ir.LookupNamespace(id.Name)
		if !ok {
			c.errorf(id, "dsl.ref.unknownNamespace", "unknown namespace %s%s", id.Name, didYouMean(id.Name, namespaceNames))
			return bad
		}
		if _, ok := ir.LookupFunc(id.Name + "." + x.Name.Name); ok {
			c.errorf(x, "dsl.ref.notValue", "%s.%s is a function; call it: %s.%s(…)", id.Name, x.Name.Name, id.Name, x.Name.Name)
			return bad
		}
		a, ok := ns.Attr(x.Name.Name)
		if !ok {
			names := slices.Concat(attrNames(ns.Attrs), methodNames(id.Name))
			c.errorf(x.Name, "dsl.ref.unknownField", "unknown field %s.%s%s (%s has: %s)", id.Name, x.Name.Name,
				qualified(id.Name, x.Name.Name, names), id.Name, strings.Join(attrNames(ns.Attrs), ", "))
			return bad
		}
		c.info.Refs[x] = Ref{Kind: RefField, NS: id.Name, Name: a.Name}
		return attrType(a)
	}
	xt := c.expr(x.X, sc)
	switch xt.T {
	case ir.TObject:
		obj, _ := ir.LookupObject(xt.Object)
		if obj == nil {
			break
		}
		a, ok := obj.Attr(x.Name.Name)
		if !ok {
			c.errorf(x.Name, "dsl.ref.unknownField", "unknown field %s of %s%s", x.Name.Name, obj.Name, didYouMean(x.Name.Name, attrNames(obj.Attrs)))
			return bad
		}
		c.info.Refs[x] = Ref{Kind: RefMember, Name: a.Name}
		return attrType(a)
	case ir.TAny:
		if xt != bad {
			c.info.Refs[x] = Ref{Kind: RefMember, Name: x.Name.Name}
		}
		return bad
	}
	c.errorf(x.Name, "dsl.type.mismatch", "a %s has no field %s", xt, x.Name.Name)
	return bad
}

func qualified(ns, name string, cands []string) string {
	if s, ok := nearest(name, cands); ok {
		return "; did you mean " + ns + "." + s + "?"
	}
	return ""
}

func inScope(name string, sc *scope) bool {
	if sc == nil {
		return false
	}
	_, ok := sc.obj.Attr(name)
	return ok
}

// call resolves and checks a call of a built-in or a namespace method.
func (c *checker) call(x *syntax.CallExpr, sc *scope) Type {
	for _, a := range x.Args {
		c.lookalikes(a)
	}
	var name string
	switch fn := x.Fn.(type) {
	case *syntax.Ident:
		name = fn.Name
		if _, ok := ir.LookupFunc(name); !ok {
			c.argsAnyway(x, sc)
			if alt, ok := forbidden[name]; ok {
				hint := ""
				if alt != "" {
					hint = "; use " + alt
				}
				c.errorf(fn, "dsl.determinism.forbidden", "%s() is not available: evaluation is deterministic and has no clock or randomness%s", name, hint)
				return bad
			}
			c.errorf(fn, "dsl.call.unknownFunction", "unknown function %s%s", name, didYouMean(name, builtinNames))
			return bad
		}
	case *syntax.MemberExpr:
		id, ok := fn.X.(*syntax.Ident)
		if !ok || inScope(id.Name, sc) {
			c.argsAnyway(x, sc)
			c.errorf(x.Fn, "dsl.call.notFunction", "only built-in functions and namespace methods can be called")
			return bad
		}
		if _, ok := ir.LookupNamespace(id.Name); !ok {
			c.argsAnyway(x, sc)
			c.errorf(id, "dsl.ref.unknownNamespace", "unknown namespace %s%s", id.Name, didYouMean(id.Name, namespaceNames))
			return bad
		}
		name = id.Name + "." + fn.Name.Name
		if _, ok := ir.LookupFunc(name); !ok {
			c.argsAnyway(x, sc)
			ns, _ := ir.LookupNamespace(id.Name)
			if _, isField := ns.Attr(fn.Name.Name); isField && !ns.Open {
				c.errorf(fn.Name, "dsl.call.notFunction", "%s is a field, not a function; drop the ()", name)
				return bad
			}
			c.errorf(fn.Name, "dsl.call.unknownFunction", "unknown function %s%s", name, qualified(id.Name, fn.Name.Name, methodNames(id.Name)))
			return bad
		}
	default:
		c.argsAnyway(x, sc)
		c.errorf(x.Fn, "dsl.call.notFunction", "only built-in functions and namespace methods can be called")
		return bad
	}
	f, _ := ir.LookupFunc(name)
	c.info.Refs[x] = Ref{Kind: RefCall, Fn: name}
	if n := len(x.Args); n < f.Min || (f.MaxArgs() >= 0 && n > f.MaxArgs()) {
		c.argsAnyway(x, sc)
		c.errorf(x, "dsl.call.arity", "%s takes %s, got %d", name, arityText(f), n)
		return Type{T: f.Result, Elem: f.ResultElem, Object: f.ResultObject}
	}
	var argTypes []ir.Type
	for i, a := range x.Args {
		p := f.Param(i)
		var t Type
		if p.Scope != "" {
			obj, _ := ir.LookupObject(p.Scope)
			t = c.expr(a, &scope{obj: obj})
		} else {
			t = c.expr(a, sc)
		}
		argTypes = append(argTypes, t.T)
		if !assignable(t.T, p.Type) {
			c.errorf(a, "dsl.type.mismatch", "argument %s of %s must be %s, got %s", p.Name, name, p.Type, t)
		}
	}
	switch name {
	case "severity_band":
		if s, ok := syntax.Unparen(x.Args[0]).(*syntax.StringLit); ok {
			c.band(s)
		}
	case "reach_state":
		if s, ok := syntax.Unparen(x.Args[0]).(*syntax.StringLit); ok {
			if _, ok := ir.ReachStateCode(s.Value); !ok {
				c.errorf(s, "dsl.literal.badReachState", "%s is not a reachability state (%s)%s", ir.Quote(short(s.Value)),
					strings.Join(ir.ReachStates, " "), didYouMean(s.Value, slices.Concat(ir.ReachStates, ir.ReachStateNames)))
			}
		}
	}
	if f.Unify {
		return Type{T: unify(argTypes)}
	}
	return Type{T: f.Result, Elem: f.ResultElem, Object: f.ResultObject}
}

// argsAnyway checks the arguments of a call that cannot be resolved, so
// errors inside them are still reported.
func (c *checker) argsAnyway(x *syntax.CallExpr, sc *scope) {
	for _, a := range x.Args {
		if _, done := c.info.Types[a]; !done {
			c.expr(a, sc)
		}
	}
}

func arityText(f *ir.Func) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case f.MaxArgs() < 0:
		return "at least " + plural(f.Min)
	case f.Min == f.MaxArgs():
		if f.Min == 0 {
			return "no arguments"
		}
		return plural(f.Min)
	}
	return strconv.Itoa(f.Min) + " to " + plural(f.MaxArgs())
}

// binary types the logical operators and the comparisons, deciding each
// comparison's CmpType.
func (c *checker) binary(x *syntax.BinaryExpr, sc *scope) Type {
	lt, rt := c.expr(x.X, sc), c.expr(x.Y, sc)
	switch x.Op {
	case "and", "or":
		if !boolish(lt) {
			c.errorf(x.X, "dsl.type.mismatch", "operand of %s must be bool, got %s", x.Op, lt)
		}
		if !boolish(rt) {
			c.errorf(x.Y, "dsl.type.mismatch", "operand of %s must be bool, got %s", x.Op, rt)
		}
		return Type{T: ir.TBool}
	case "in", "not in":
		c.lookalikes(x.X)
		c.lookalikes(x.Y)
		c.info.Cmp[x] = c.membership(x, lt, rt)
	case "==", "!=":
		c.lookalikes(x.X)
		c.lookalikes(x.Y)
		c.info.Cmp[x] = c.equality(x, x.X, lt, x.Y, rt)
	default:
		c.info.Cmp[x] = c.ordered(x, lt, rt)
	}
	return Type{T: ir.TBool}
}

// equality decides how a == b compares.
func (c *checker) equality(at syntax.Node, a syntax.Expr, ta Type, b syntax.Expr, tb Type) ir.CmpType {
	if ta.T == ir.TNull || tb.T == ir.TNull {
		c.warnf(at, "dsl.null.compare", "a comparison with null is always false; use exists(…) to test for missing data")
		return ir.CmpAny
	}
	if ta == bad || tb == bad || ta.T == ir.TAny || tb.T == ir.TAny {
		return ir.CmpAny
	}
	if k, ok := c.special(ta, b, tb); ok {
		return k
	}
	if k, ok := c.special(tb, a, ta); ok {
		return k
	}
	if ta.T != tb.T {
		c.errorf(at, "dsl.type.mismatch", "cannot compare %s with %s", ta, tb)
		return ir.CmpAny
	}
	switch ta.T {
	case ir.TString:
		return ir.CmpString
	case ir.TNumber:
		return ir.CmpNumber
	case ir.TBool:
		return ir.CmpBool
	}
	return ir.CmpAny
}

// special handles comparisons where one side (of type ta) is a band or a
// time: the other side must be one too, or a string, and its literals are
// validated.
func (c *checker) special(ta Type, b syntax.Expr, tb Type) (ir.CmpType, bool) {
	switch ta.T {
	case ir.TBand:
		if tb.T != ir.TBand && tb.T != ir.TString {
			return "", false
		}
		if s, ok := syntax.Unparen(b).(*syntax.StringLit); ok {
			c.band(s)
		}
		return ir.CmpBand, true
	case ir.TTime:
		if tb.T != ir.TTime && tb.T != ir.TString {
			return "", false
		}
		if s, ok := syntax.Unparen(b).(*syntax.StringLit); ok {
			c.timestamp(s)
		}
		return ir.CmpTime, true
	}
	return "", false
}

// ordered decides how a < b (and <=, >, >=) compares: numbers, bands and
// times are ordered; strings are not.
func (c *checker) ordered(x *syntax.BinaryExpr, ta, tb Type) ir.CmpType {
	if ta == bad || tb == bad {
		return ir.CmpAny
	}
	if ta.T == ir.TNull || tb.T == ir.TNull {
		c.errorf(x, "dsl.type.mismatch", "null cannot be ordered; use exists(…) to test for missing data")
		return ir.CmpAny
	}
	if k, ok := c.special(ta, x.Y, tb); ok {
		return k
	}
	if k, ok := c.special(tb, x.X, ta); ok {
		return k
	}
	switch {
	case ta.T == ir.TNumber && (tb.T == ir.TNumber || tb.T == ir.TAny), tb.T == ir.TNumber && ta.T == ir.TAny:
		return ir.CmpNumber
	case ta.T == ir.TBand && tb.T == ir.TAny, tb.T == ir.TBand && ta.T == ir.TAny:
		return ir.CmpBand
	case ta.T == ir.TTime && tb.T == ir.TAny, tb.T == ir.TTime && ta.T == ir.TAny:
		return ir.CmpTime
	case ta.T == ir.TString && tb.T == ir.TString:
		c.errorf(x, "dsl.type.mismatch", "strings are not ordered; compare numbers, bands or timestamps (severity_band(x) makes a band)")
	case ta.T == ir.TAny && tb.T == ir.TAny:
		c.errorf(x, "dsl.type.mismatch", "cannot order two values of unknown type")
	default:
		c.errorf(x, "dsl.type.mismatch", "cannot order %s against %s", ta, tb)
	}
	return ir.CmpAny
}

// membership decides how x in list compares: like x == element.
func (c *checker) membership(x *syntax.BinaryExpr, ta, tb Type) ir.CmpType {
	if tb == bad || ta == bad {
		return ir.CmpAny
	}
	if tb.T != ir.TList && tb.T != ir.TAny {
		c.errorf(x.Y, "dsl.type.mismatch", "right operand of %s must be a list, got %s", x.Op, tb)
		return ir.CmpAny
	}
	if ta.T == ir.TNull {
		c.warnf(x, "dsl.null.compare", "null is never in a list; use exists(…) to test for missing data")
		return ir.CmpAny
	}
	elem := Type{T: orAny(tb.Elem)}
	if l, ok := syntax.Unparen(x.Y).(*syntax.ListLit); ok && len(l.Elems) > 0 {
		// Compare against each literal element, so bands and timestamps in
		// the list are validated and the CmpType agrees with every one.
		var k ir.CmpType
		for _, e := range l.Elems {
			et := c.info.Types[e]
			if et.T == ir.TNull {
				continue
			}
			k = c.equality(x, x.X, ta, e, et)
		}
		if k == "" {
			k = ir.CmpAny
		}
		return k
	}
	if elem.T == ir.TAny || ta.T == ir.TAny {
		return ir.CmpAny
	}
	return c.equality(x, x.X, ta, x.Y, elem)
}
