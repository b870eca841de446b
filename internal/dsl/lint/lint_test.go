package lint

import (
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
)

// Builders for IR conditions.
func ref(ns, name string) ir.Expr { return ir.Expr{Op: ir.OpRef, NS: ns, Name: name} }
func str(s string) ir.Expr        { return ir.Expr{Op: ir.OpStr, Str: s} }
func num(s string) ir.Expr        { return ir.Expr{Op: ir.OpNum, Num: decimal.MustParse(s)} }
func cmpx(op ir.Op, t ir.CmpType, a, b ir.Expr) ir.Expr {
	return ir.Expr{Op: op, Type: t, Args: []ir.Expr{a, b}}
}
func and(xs ...ir.Expr) ir.Expr { return ir.Expr{Op: ir.OpAnd, Args: xs} }
func or(xs ...ir.Expr) ir.Expr  { return ir.Expr{Op: ir.OpOr, Args: xs} }
func not(x ir.Expr) ir.Expr     { return ir.Expr{Op: ir.OpNot, Args: []ir.Expr{x}} }
func list(xs ...ir.Expr) ir.Expr {
	return ir.Expr{Op: ir.OpList, Args: xs}
}

var (
	envX   = ref("env", "x")
	band   = ref("severity", "normalized")
	score  = ref("severity", "score")
	direct = ref("sbom", "direct")
	tag    = ir.Expr{Op: ir.OpCall, Fn: "sbom.has_tag", Args: []ir.Expr{str("t")}}
)

func TestDisjoint(t *testing.T) {
	eq := func(v string) ir.Expr { return cmpx(ir.OpEq, ir.CmpString, envX, str(v)) }
	tests := []struct {
		name string
		a, b ir.Expr
		want bool
	}{
		{"different literals", eq("a"), eq("b"), true},
		{"same literal", eq("a"), eq("a"), false},
		{"eq vs ne", eq("a"), cmpx(ir.OpNe, ir.CmpString, envX, str("a")), true},
		{"ne vs ne", cmpx(ir.OpNe, ir.CmpString, envX, str("a")), cmpx(ir.OpNe, ir.CmpString, envX, str("b")), false},
		{"eq vs not eq", eq("a"), not(eq("a")), true},
		{"not eq vs not eq", not(eq("a")), not(eq("b")), false},
		{"in lists", cmpx(ir.OpIn, ir.CmpString, envX, list(str("a"), str("b"))), cmpx(ir.OpIn, ir.CmpString, envX, list(str("c"))), true},
		{"in vs not in", cmpx(ir.OpIn, ir.CmpString, envX, list(str("a"))), not(cmpx(ir.OpIn, ir.CmpString, envX, list(str("a"), str("b")))), true},
		{"literal on the left", cmpx(ir.OpEq, ir.CmpString, str("a"), envX), eq("b"), true},
		{"different operands", eq("a"), cmpx(ir.OpEq, ir.CmpString, ref("env", "y"), str("b")), false},
		{"band ranges", cmpx(ir.OpGe, ir.CmpBand, band, str("High")), cmpx(ir.OpLe, ir.CmpBand, band, str("medium")), true},
		{"band ranges touch", cmpx(ir.OpGe, ir.CmpBand, band, str("High")), cmpx(ir.OpLe, ir.CmpBand, band, str("High")), false},
		{"band point in range", cmpx(ir.OpEq, ir.CmpBand, band, str("Critical")), cmpx(ir.OpGe, ir.CmpBand, band, str("High")), false},
		{"band list outside range", cmpx(ir.OpIn, ir.CmpBand, band, list(str("Low"), str("None"))), cmpx(ir.OpGt, ir.CmpBand, band, str("Medium")), true},
		{"open score ranges", cmpx(ir.OpGt, ir.CmpNumber, score, num("7")), cmpx(ir.OpLe, ir.CmpNumber, score, num("7")), true},
		{"negated range", not(cmpx(ir.OpLt, ir.CmpNumber, score, num("7"))), cmpx(ir.OpLt, ir.CmpNumber, score, num("6.5")), true},
		{"negated range keeps null", not(cmpx(ir.OpLt, ir.CmpNumber, score, num("7"))), not(cmpx(ir.OpGe, ir.CmpNumber, score, num("1"))), false},
		{"predicate and negation", tag, not(tag), true},
		{"bool field and negation", direct, not(direct), true},
		{"two negated bools overlap", not(direct), not(tag), false},
		{"and: one conjunct decides", and(eq("a"), tag), and(eq("b"), tag), true},
		{"or: every disjunct", or(eq("a"), eq("b")), eq("c"), true},
		{"or: one disjunct overlaps", or(eq("a"), eq("b")), eq("b"), false},
		{"not of or", not(or(eq("a"), eq("b"))), eq("b"), true},
		{"not of and", not(and(eq("a"), tag)), and(eq("a"), tag), true},
		{"false", ir.Expr{Op: ir.OpBool}, eq("a"), true},
		{"true", ir.Expr{Op: ir.OpBool, Bool: true}, eq("a"), false},
		{"opaque comparison", cmpx(ir.OpEq, ir.CmpAny, envX, ref("env", "y")), not(cmpx(ir.OpEq, ir.CmpAny, envX, ref("env", "y"))), true},
	}
	for _, tt := range tests {
		a, b := toFormula(tt.a, false), toFormula(tt.b, false)
		if got := disjoint(a, b); got != tt.want {
			t.Errorf("%s: disjoint = %v, want %v", tt.name, got, tt.want)
		}
		if got := disjoint(b, a); got != tt.want {
			t.Errorf("%s (swapped): disjoint = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestImplies(t *testing.T) {
	eq := func(v string) ir.Expr { return cmpx(ir.OpEq, ir.CmpString, envX, str(v)) }
	tests := []struct {
		name string
		a, b ir.Expr
		want bool
	}{
		{"same", eq("a"), eq("a"), true},
		{"stronger and", and(eq("a"), tag), eq("a"), true},
		{"weaker", eq("a"), and(eq("a"), tag), false},
		{"into or", eq("a"), or(eq("a"), eq("b")), true},
		{"point into list", eq("a"), cmpx(ir.OpIn, ir.CmpString, envX, list(str("a"), str("b"))), true},
		{"list into ne", cmpx(ir.OpIn, ir.CmpString, envX, list(str("a"), str("b"))), cmpx(ir.OpNe, ir.CmpString, envX, str("c")), true},
		{"band point into range", cmpx(ir.OpEq, ir.CmpBand, band, str("Critical")), cmpx(ir.OpGe, ir.CmpBand, band, str("High")), true},
		{"narrower range", cmpx(ir.OpGt, ir.CmpNumber, score, num("9")), cmpx(ir.OpGe, ir.CmpNumber, score, num("7")), true},
		{"wider range", cmpx(ir.OpGe, ir.CmpNumber, score, num("7")), cmpx(ir.OpGt, ir.CmpNumber, score, num("7")), false},
		{"anything implies true", eq("a"), ir.Expr{Op: ir.OpBool, Bool: true}, true},
		{"true implies nothing", ir.Expr{Op: ir.OpBool, Bool: true}, eq("a"), false},
		{"not eq does not imply not bool", not(cmpx(ir.OpEq, ir.CmpBool, direct, ir.Expr{Op: ir.OpBool, Bool: true})), not(direct), false},
		{"eq false implies not bool", cmpx(ir.OpEq, ir.CmpBool, direct, ir.Expr{Op: ir.OpBool}), not(direct), true},
		{"unsatisfiable implies anything", and(eq("a"), eq("b")), tag, true},
	}
	for _, tt := range tests {
		if got := implies(toFormula(tt.a, false), toFormula(tt.b, false)); got != tt.want {
			t.Errorf("%s: implies = %v, want %v", tt.name, got, tt.want)
		}
	}
}
