package ir

import (
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
)

func TestFormatExpr(t *testing.T) {
	ref := func(ns, name string) Expr { return Expr{Op: OpRef, NS: ns, Name: name} }
	str := func(s string) Expr { return Expr{Op: OpStr, Str: s} }
	num := func(s string) Expr { return Expr{Op: OpNum, Num: decimal.MustParse(s)} }
	cmp := func(op Op, a, b Expr) Expr { return Expr{Op: op, Type: CmpAny, Args: []Expr{a, b}} }
	and := func(args ...Expr) Expr { return Expr{Op: OpAnd, Args: args} }
	or := func(args ...Expr) Expr { return Expr{Op: OpOr, Args: args} }
	not := func(a Expr) Expr { return Expr{Op: OpNot, Args: []Expr{a}} }
	list := func(args ...Expr) Expr { return Expr{Op: OpList, Args: args} }
	call := func(fn string, args ...Expr) Expr { return Expr{Op: OpCall, Fn: fn, Args: args} }
	latest := call("vex.latest")
	x, y := ref("env", "x"), ref("env", "y")

	tests := []struct {
		e    Expr
		want string
	}{
		{cmp(OpGe, ref("severity", "normalized"), str("High")), `severity.normalized >= "High"`},
		{and(x, or(y, x)), `env.x and (env.y or env.x)`},
		{or(x, and(y, x)), `env.x or env.y and env.x`},
		{and(and(x, y), x), `env.x and env.y and env.x`},
		{not(or(x, y)), `not (env.x or env.y)`},
		{not(cmp(OpEq, x, num("1"))), `not env.x == 1`},
		{not(not(x)), `not not env.x`},
		{not(cmp(OpIn, x, list(str("a"), str("b")))), `env.x not in ["a", "b"]`},
		{cmp(OpEq, cmp(OpEq, x, y), Expr{Op: OpBool, Bool: true}), `(env.x == env.y) == true`},
		{cmp(OpNe, Expr{Op: OpNull}, num("-0.5")), `null != -0.5`},
		{call("vex.any", cmp(OpIn, Expr{Op: OpElem, Name: "status"}, list(str("fixed")))), `vex.any(status in ["fixed"])`},
		{Expr{Op: OpMember, Name: "statementId", X: &latest}, `vex.latest().statementId`},
		{Expr{Op: OpIndex, X: &Expr{Op: OpRef, NS: "sbom", Name: "licenses"}, Args: []Expr{num("0")}}, `sbom.licenses[0]`},
		{call("coalesce", ref("env", "quietuntil"), str("2025-12-31T00:00:00Z")), `coalesce(env.quietuntil, "2025-12-31T00:00:00Z")`},
		{str("a\"b\\c\nd\te\x01f\u2028é"), `"a\"b\\c\nd\te\u0001f\u2028é"`},
		{list(), `[]`},
	}
	for _, tt := range tests {
		if got := FormatExpr(tt.e); got != tt.want {
			t.Errorf("FormatExpr = %s, want %s", got, tt.want)
		}
	}
}

func TestQuoteInvalidUTF8(t *testing.T) {
	if got := Quote("a\xffb"); got != "\"a\uFFFDb\"" {
		t.Errorf("Quote = %q", got)
	}
}
