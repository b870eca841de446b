package engine

import (
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// The planner (docs/architecture.md): before a run, every IR expression is
// planned into a closure over the finding being evaluated, once per run.
//
// fn is a planned expression: it reads the finding being evaluated from s.
// Expressions are planned once per run into a tree of closures, so the per-
// finding cost is a few indirect calls, not a walk over the IR.
type fn func(s *state) Val

// compiler is the planner: it turns IR expressions into closures. Names are resolved against
// the catalogue (internal/ir/catalog.go) at compile time; env and run fields
// are constants of the run and compile to literals.
type compiler struct {
	env      []KV // sorted, keys lower-case
	policyID string
	evalTime string
}

// compileError is an expression the engine cannot run: only IR that did not
// come from the compiler (hand-written or from a newer stella) produces it.
type compileError struct{ msg string }

func (e *compileError) Error() string { return e.msg }

func errorf(format string, args ...any) error { return &compileError{fmt.Sprintf(format, args...)} }

func constant(v Val) fn { return func(*state) Val { return v } }

func (c *compiler) expr(e ir.Expr) (fn, error) {
	switch e.Op {
	case ir.OpStr:
		return constant(Str(e.Str)), nil
	case ir.OpNum:
		return constant(Num(e.Num)), nil
	case ir.OpBool:
		return constant(Bool(e.Bool)), nil
	case ir.OpNull:
		return constant(Null), nil
	case ir.OpList:
		return c.list(e)
	case ir.OpRef:
		return c.ref(e)
	case ir.OpElem:
		get, ok := stmtFields[e.Name]
		if !ok {
			return nil, errorf("unknown statement field %q", e.Name)
		}
		return func(s *state) Val {
			if s.elem == nil {
				return Null
			}
			return get(s.elem)
		}, nil
	case ir.OpMember:
		return c.member(e)
	case ir.OpIndex:
		return c.index(e)
	case ir.OpCall:
		return c.call(e)
	case ir.OpNot:
		x, err := c.expr(e.Args[0])
		if err != nil {
			return nil, err
		}
		return func(s *state) Val {
			v := x(s)
			if v.K != KBool {
				return Null
			}
			return Bool(!v.B)
		}, nil
	case ir.OpAnd, ir.OpOr:
		return c.logic(e)
	case ir.OpEq, ir.OpNe, ir.OpLt, ir.OpLe, ir.OpGt, ir.OpGe:
		return c.compare(e)
	case ir.OpIn:
		return c.in(e)
	}
	return nil, errorf("unknown expression op %q", e.Op)
}

func (c *compiler) exprs(es []ir.Expr) ([]fn, error) {
	out := make([]fn, len(es))
	for i, a := range es {
		f, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

func (c *compiler) list(e ir.Expr) (fn, error) {
	elems, err := c.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	if v, ok := constList(e); ok {
		return constant(v), nil
	}
	return func(s *state) Val {
		l := make([]Val, len(elems))
		for i, f := range elems {
			l[i] = f(s)
		}
		return List(l)
	}, nil
}

// constList folds a list of literals into one value built at compile time.
func constList(e ir.Expr) (Val, bool) {
	l := make([]Val, len(e.Args))
	for i, a := range e.Args {
		switch a.Op {
		case ir.OpStr:
			l[i] = Str(a.Str)
		case ir.OpNum:
			l[i] = Num(a.Num)
		case ir.OpBool:
			l[i] = Bool(a.Bool)
		case ir.OpNull:
		default:
			return Null, false
		}
	}
	return List(l), true
}

// logic implements three-valued and/or: a non-boolean operand is unknown.
// `and` is false as soon as one operand is false and true only when all are
// true; `or` is true as soon as one is true and false only when all are
// false; otherwise the result is null. The result does not depend on operand
// order.
func (c *compiler) logic(e ir.Expr) (fn, error) {
	args, err := c.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	stop := e.Op == ir.OpOr // the value that decides the result
	return func(s *state) Val {
		unknown := false
		for _, f := range args {
			v := f(s)
			if v.K != KBool {
				unknown = true
				continue
			}
			if v.B == stop {
				return Bool(stop)
			}
		}
		if unknown {
			return Null
		}
		return Bool(!stop)
	}, nil
}

func (c *compiler) compare(e ir.Expr) (fn, error) {
	args, err := c.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	a, b := args[0], args[1]
	op, t := e.Op, e.Type
	if lit, ok := literal(e.Args[1]); ok {
		// The common case `ref OP literal`: prepare the literal once.
		switch t {
		case ir.CmpBand:
			r, isBand := ir.BandRank(lit.S)
			if lit.K != KStr || !isBand {
				return constant(Bool(false)), nil
			}
			return func(s *state) Val {
				x := a(s)
				if x.K != KStr {
					return Bool(false)
				}
				xr, ok := ir.BandRank(x.S)
				return Bool(ok && order(op, xr-r))
			}, nil
		case ir.CmpString:
			if lit.K != KStr {
				return constant(Bool(false)), nil
			}
			return func(s *state) Val {
				x := a(s)
				return Bool(x.K == KStr && order(op, strings.Compare(x.S, lit.S)))
			}, nil
		case ir.CmpNumber:
			if lit.K != KNum {
				return constant(Bool(false)), nil
			}
			return func(s *state) Val {
				x := a(s)
				return Bool(x.K == KNum && order(op, x.N.Cmp(lit.N)))
			}, nil
		}
	}
	return func(s *state) Val {
		return Bool(cmpVals(op, t, a(s), b(s)))
	}, nil
}

func literal(e ir.Expr) (Val, bool) {
	switch e.Op {
	case ir.OpStr:
		return Str(e.Str), true
	case ir.OpNum:
		return Num(e.Num), true
	case ir.OpBool:
		return Bool(e.Bool), true
	}
	return Null, false
}

// order applies a comparison operator to the sign of a three-way compare.
func order(op ir.Op, c int) bool {
	switch op {
	case ir.OpEq:
		return c == 0
	case ir.OpNe:
		return c != 0
	case ir.OpLt:
		return c < 0
	case ir.OpLe:
		return c <= 0
	case ir.OpGt:
		return c > 0
	case ir.OpGe:
		return c >= 0
	}
	return false
}

// cmpVals compares a and b as t says. A null operand makes every comparison
// false, `!=` included; so do operands of the wrong type and values that do
// not parse (a band name that is no band, a time that is not RFC 3339).
func cmpVals(op ir.Op, t ir.CmpType, a, b Val) bool {
	if a.K == KNull || b.K == KNull {
		return false
	}
	switch t {
	case ir.CmpString:
		return a.K == KStr && b.K == KStr && order(op, strings.Compare(a.S, b.S))
	case ir.CmpNumber:
		return a.K == KNum && b.K == KNum && order(op, a.N.Cmp(b.N))
	case ir.CmpBool:
		if a.K != KBool || b.K != KBool || (op != ir.OpEq && op != ir.OpNe) {
			return false
		}
		return (a.B == b.B) == (op == ir.OpEq)
	case ir.CmpBand:
		if a.K != KStr || b.K != KStr {
			return false
		}
		ra, ok1 := ir.BandRank(a.S)
		rb, ok2 := ir.BandRank(b.S)
		return ok1 && ok2 && order(op, ra-rb)
	case ir.CmpTime:
		if a.K != KStr || b.K != KStr {
			return false
		}
		ta, ok1 := model.ParseTime(a.S)
		tb, ok2 := model.ParseTime(b.S)
		return ok1 && ok2 && order(op, ta.Compare(tb))
	}
	// CmpAny: equality by dynamic type; no ordering.
	switch op {
	case ir.OpEq:
		return equal(a, b)
	case ir.OpNe:
		return !equal(a, b)
	}
	return false
}

// equal is dynamic equality: same kind and same value, lists element-wise.
func equal(a, b Val) bool {
	if a.K != b.K {
		return false
	}
	switch a.K {
	case KNull:
		return true
	case KStr:
		return a.S == b.S
	case KNum:
		return a.N == b.N
	case KBool:
		return a.B == b.B
	case KList:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case KStmt:
		return a.Stmt.ID == b.Stmt.ID
	}
	return false
}

// in is `x in list`: true when some element equals x under the comparison
// type (bands by name case-insensitively). A null x or a non-list is false.
func (c *compiler) in(e ir.Expr) (fn, error) {
	args, err := c.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	x, l, t := args[0], args[1], e.Type
	if lv, ok := constList(e.Args[1]); ok && e.Args[1].Op == ir.OpList && (t == ir.CmpString || t == ir.CmpAny) {
		set := make(map[string]bool, len(lv.L))
		for _, el := range lv.L {
			if el.K == KStr {
				set[el.S] = true
			}
		}
		others := false
		for _, el := range lv.L {
			if el.K != KStr && el.K != KNull {
				others = true
			}
		}
		if !others {
			return func(s *state) Val {
				v := x(s)
				return Bool(v.K == KStr && set[v.S])
			}, nil
		}
	}
	return func(s *state) Val {
		v, lst := x(s), l(s)
		if v.K == KNull || lst.K != KList {
			return Bool(false)
		}
		for _, el := range lst.L {
			if cmpVals(ir.OpEq, t, v, el) {
				return Bool(true)
			}
		}
		return Bool(false)
	}, nil
}

func (c *compiler) index(e ir.Expr) (fn, error) {
	x, err := c.expr(*e.X)
	if err != nil {
		return nil, err
	}
	i, err := c.expr(e.Args[0])
	if err != nil {
		return nil, err
	}
	return func(s *state) Val {
		l, iv := x(s), i(s)
		if l.K != KList || iv.K != KNum || iv.N%decimal.One != 0 {
			return Null
		}
		n := int64(iv.N / decimal.One)
		if n < 0 || n >= int64(len(l.L)) {
			return Null
		}
		return l.L[n]
	}, nil
}

func (c *compiler) member(e ir.Expr) (fn, error) {
	x, err := c.expr(*e.X)
	if err != nil {
		return nil, err
	}
	get, ok := stmtFields[e.Name]
	if !ok {
		return nil, errorf("unknown field %q of vex.statement", e.Name)
	}
	return func(s *state) Val {
		v := x(s)
		if v.K != KStmt {
			return Null
		}
		return get(v.Stmt)
	}, nil
}

// stmtFields reads the fields of the vex.statement object.
var stmtFields = map[string]func(*model.VEXStatement) Val{
	"actionStatement": func(st *model.VEXStatement) Val { return optStr(st.ActionStatement) },
	"document":        func(st *model.VEXStatement) Val { return Str(st.Document) },
	"format":          func(st *model.VEXStatement) Val { return Str(st.Format) },
	"impactStatement": func(st *model.VEXStatement) Val { return optStr(st.ImpactStatement) },
	"issuer":          func(st *model.VEXStatement) Val { return optStr(st.Issuer) },
	"justification":   func(st *model.VEXStatement) Val { return optStr(st.Justification) },
	"statementId":     func(st *model.VEXStatement) Val { return Str(st.ID) },
	"status":          func(st *model.VEXStatement) Val { return Str(st.Status) },
	"timestamp":       func(st *model.VEXStatement) Val { return optStr(st.Timestamp) },
	"vulnerability":   func(st *model.VEXStatement) Val { return Str(st.Vulnerability) },
}

// optStr is s, or null when s is empty.
func optStr(s string) Val {
	if s == "" {
		return Null
	}
	return Str(s)
}

func optNum(d *decimal.D) Val {
	if d == nil {
		return Null
	}
	return Num(*d)
}

func strList(ss []string) Val {
	l := make([]Val, len(ss))
	for i, s := range ss {
		l[i] = Str(s)
	}
	return List(l)
}
