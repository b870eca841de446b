package ir

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file prints IR expressions back as stella-dsl@1 text.

// Binding strength of each level of the expression grammar, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp
	precPostfix
)

// cmpOps spells the comparison operators.
var cmpOps = map[Op]string{OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpIn: "in"}

// FormatExpr prints e as DSL source text with canonical spacing and only the
// parentheses the grammar needs: `a and (b or c)`, `not (a or b)`, but
// `a or b and c` and `not x == 1` (not binds looser than comparisons). Nested and/or of the same operator print without
// parentheses, as the compiler flattens them anyway. not(x in y) prints as
// `x not in y`. Comparison types are not printed (the checker derives them).
// For an expression the compiler produced, compiling the text again yields
// the same IR.
func FormatExpr(e Expr) string {
	var b strings.Builder
	formatExpr(&b, e, 0)
	return b.String()
}

func prec(e Expr) int {
	switch e.Op {
	case OpOr:
		return precOr
	case OpAnd:
		return precAnd
	case OpNot:
		if len(e.Args) == 1 && e.Args[0].Op == OpIn {
			return precCmp // x not in y
		}
		return precNot
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn:
		return precCmp
	}
	return precPostfix
}

// formatExpr writes e, parenthesised when it binds more loosely than min.
func formatExpr(b *strings.Builder, e Expr, min int) {
	p := prec(e)
	if p < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e.Op {
	case OpStr:
		b.WriteString(Quote(e.Str))
	case OpNum:
		b.WriteString(e.Num.String())
	case OpBool:
		b.WriteString(strconv.FormatBool(e.Bool))
	case OpNull:
		b.WriteString("null")
	case OpList:
		b.WriteByte('[')
		formatArgs(b, e.Args)
		b.WriteByte(']')
	case OpRef:
		b.WriteString(e.NS)
		b.WriteByte('.')
		b.WriteString(e.Name)
	case OpElem:
		b.WriteString(e.Name)
	case OpMember:
		formatX(b, e.X)
		b.WriteByte('.')
		b.WriteString(e.Name)
	case OpIndex:
		formatX(b, e.X)
		b.WriteByte('[')
		formatArgs(b, e.Args)
		b.WriteByte(']')
	case OpCall:
		b.WriteString(e.Fn)
		b.WriteByte('(')
		formatArgs(b, e.Args)
		b.WriteByte(')')
	case OpNot:
		if len(e.Args) != 1 {
			break
		}
		if a := e.Args[0]; a.Op == OpIn && len(a.Args) == 2 {
			formatExpr(b, a.Args[0], precPostfix)
			b.WriteString(" not in ")
			formatExpr(b, a.Args[1], precPostfix)
			break
		}
		b.WriteString("not ")
		formatExpr(b, e.Args[0], precNot)
	case OpAnd, OpOr:
		word := " and "
		if e.Op == OpOr {
			word = " or "
		}
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(word)
			}
			formatExpr(b, a, p)
		}
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn:
		if len(e.Args) != 2 {
			break
		}
		formatExpr(b, e.Args[0], precPostfix)
		b.WriteByte(' ')
		b.WriteString(cmpOps[e.Op])
		b.WriteByte(' ')
		formatExpr(b, e.Args[1], precPostfix)
	default:
		b.WriteString("<?" + string(e.Op) + ">")
	}
}

// formatX writes the operand of a member access or index.
func formatX(b *strings.Builder, x *Expr) {
	if x == nil {
		b.WriteString("<?>")
		return
	}
	formatExpr(b, *x, precPostfix)
}

func formatArgs(b *strings.Builder, args []Expr) {
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		formatExpr(b, a, 0)
	}
}

// Quote returns s as a DSL string literal: double quotes, with `"` and `\`
// escaped, \n \r \t for those controls, \uXXXX for other control characters
// and invalid UTF-8 bytes replaced by U+FFFD. Everything else is written as
// is.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)))
			b.WriteString(h)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
