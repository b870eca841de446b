package syntax

import (
	"fmt"
	"strings"
)

// This file is the recursive-descent parser. The grammar is in docs/dsl.md.
//
// Words of the language are contextual: the scanner returns them as Word
// and the parser recognises them where the grammar expects them, so `status`
// is an action keyword at the start of an action and a field name inside
// vex.any(status == "fixed"). In expressions the operator words and, or,
// not, in and the section and clause words cannot start an operand.
//
// Error recovery is per section: a syntax error abandons the current
// metadata, settings, profile or rule block (skipping to its closing brace)
// and parsing continues with the next, so one run reports the errors of
// every section. After maxSyntaxErrors it stops.

const maxSyntaxErrors = 10

// reserved words cannot be used where an operand is expected.
var reserved = map[string]bool{
	"and": true, "or": true, "not": true, "in": true,
	"policy": true, "syntax": true, "metadata": true, "settings": true, "profile": true,
	"rule": true, "when": true, "then": true, "else": true, "because": true,
}

var actionWords = map[string]bool{
	"status": true, "severity": true, "annotate": true, "warn": true,
	"escalate": true, "requireVex": true, "ignore": true,
}

// bailout unwinds the parser to the enclosing section after a syntax error.
type bailout struct{}

type parser struct {
	file   string
	toks   []Token
	i      int
	depth  int
	rules  int
	limits Limits
	diags  []Diagnostic
	nerr   int
}

// Parse parses a policy file with DefaultLimits. It returns the tree (its
// Policy is nil when the header is unusable) and the syntax diagnostics.
func Parse(file string, src []byte) (*File, []Diagnostic) {
	return ParseLimits(file, src, DefaultLimits)
}

// ParseLimits is Parse with explicit limits.
func ParseLimits(file string, src []byte, limits Limits) (f *File, diags []Diagnostic) {
	f = &File{Name: file}
	if len(src) > limits.MaxBytes {
		p := Pos{Line: 1, Col: 1}
		return f, []Diagnostic{{File: file, Pos: p, End: p, Severity: Error, Code: "dsl.limit.fileSize",
			Msg: fmt.Sprintf("file is larger than the limit of %d bytes", limits.MaxBytes)}}
	}
	s := &scanner{file: file, src: src, limits: limits}
	s.scan()
	f.Comments = s.comments
	if n := len(s.diags); n >= maxSyntaxErrors || n > 0 && s.diags[n-1].Code == "dsl.limit.tokens" {
		return f, s.diags // parsing what is left would only add noise
	}
	p := &parser{file: file, toks: s.toks, limits: limits, diags: s.diags}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				t := p.tok()
				p.diags = append(p.diags, Diagnostic{File: file, Pos: t.Pos, End: t.End, Severity: Error,
					Code: "dsl.internal", Msg: fmt.Sprintf("internal error in the parser: %v", r)})
			}
			diags = p.diags
		}
	}()
	f.Policy = p.policy()
	return f, p.diags
}

func (p *parser) tok() Token { return p.toks[p.i] }

func (p *parser) peekTok(n int) Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() Token {
	t := p.toks[p.i]
	if t.Kind != EOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(w string) bool { t := p.tok(); return t.Kind == Word && t.Text == w }

// fail reports a syntax error at the current token and unwinds.
func (p *parser) fail(code, format string, args ...any) {
	t := p.tok()
	p.failAt(t.Pos, t.End, code, format, args...)
}

func (p *parser) failAt(pos, end Pos, code, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.file, Pos: pos, End: end, Severity: Error, Code: code, Msg: fmt.Sprintf(format, args...)})
	p.nerr++
	panic(bailout{})
}

func (p *parser) expected(what string) {
	p.fail("dsl.syntax.unexpected", "expected %s, found %s", what, p.tok().describe())
}

func (p *parser) expect(k Kind) Token {
	if p.tok().Kind != k {
		p.expected(k.String())
	}
	return p.next()
}

func (p *parser) expectWord(w string) Pos {
	if !p.isWord(w) {
		p.expected(fmt.Sprintf("%q", w))
	}
	return p.next().Pos
}

func (p *parser) semi() {
	for p.tok().Kind == Semi {
		p.next()
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > p.limits.MaxDepth {
		p.fail("dsl.limit.depth", "nesting too deep: the limit is %d levels", p.limits.MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// ---- file and sections ----

func (p *parser) policy() *Policy {
	pol := &Policy{}
	pol.Keyword = p.expectWord("policy")
	pol.Name = p.stringLit()
	pol.SyntaxKw = p.expectWord("syntax")
	pol.Syntax = p.stringLit()
	pol.LBrace = p.expect(LBrace).Pos
	for p.tok().Kind != RBrace && p.tok().Kind != EOF {
		if p.nerr >= maxSyntaxErrors {
			return pol
		}
		if s := p.sectionRecover(); s != nil {
			pol.Sections = append(pol.Sections, s)
		}
	}
	if p.tok().Kind == EOF {
		p.failAt(p.tok().Pos, p.tok().End, "dsl.syntax.unexpected",
			"expected } to close the policy opened at %s, found end of file", pol.LBrace)
	}
	pol.RBrace = p.next().Pos
	p.semi()
	if t := p.tok(); t.Kind != EOF {
		p.failAt(t.Pos, t.End, "dsl.syntax.unexpected", "expected end of file after the policy (one policy per file), found %s", t.describe())
	}
	return pol
}

// sectionRecover parses one section; after a syntax error it skips to the
// end of the section and returns nil.
func (p *parser) sectionRecover() (s Section) {
	start := p.i
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			p.depth = 0
			p.skipSection(start)
			s = nil
		}
	}()
	return p.section()
}

// skipSection moves past the section that starts at token start: to just
// after the brace matching its first {, or to the policy's closing brace if
// the section never opened one.
func (p *parser) skipSection(start int) {
	j := start
	for ; j < len(p.toks) && p.toks[j].Kind != LBrace; j++ {
		if k := p.toks[j].Kind; k == EOF || k == RBrace && j > start {
			p.i = j
			return
		}
	}
	depth := 0
	for ; j < len(p.toks); j++ {
		switch p.toks[j].Kind {
		case LBrace:
			depth++
		case RBrace:
			depth--
			if depth == 0 {
				p.i = j + 1
				return
			}
		case EOF:
			p.i = j
			return
		}
	}
}

func (p *parser) section() Section {
	t := p.tok()
	if t.Kind == Word {
		switch t.Text {
		case "metadata", "settings":
			return p.block()
		case "profile":
			return p.profile()
		case "rule":
			if p.rules++; p.limits.MaxRules > 0 && p.rules > p.limits.MaxRules {
				p.fail("dsl.limit.rules", "too many rules: the limit is %d (evaluation cost grows with rules × findings)", p.limits.MaxRules)
			}
			return p.rule()
		case "imports":
			return p.imports()
		}
	}
	p.expected("metadata, settings, profile or rule")
	return nil
}

func (p *parser) block() *Block {
	kw := p.next()
	b := &Block{Keyword: kw.Text, KwPos: kw.Pos, LBrace: p.expect(LBrace).Pos}
	b.Entries = p.kvs(RBrace)
	b.RBrace = p.next().Pos
	p.semi()
	return b
}

// kvs parses key/value entries up to (not including) the closing token,
// separated by optional commas or semicolons.
func (p *parser) kvs(close Kind) []*KV {
	var kvs []*KV
	for {
		for p.tok().Kind == Semi || p.tok().Kind == Comma {
			p.next()
		}
		if p.tok().Kind == close {
			return kvs
		}
		kvs = append(kvs, p.kv())
	}
}

func (p *parser) kv() *KV {
	key := p.ident("a key")
	kv := &KV{Key: key}
	switch t := p.tok(); t.Kind {
	case Assign, Colon, Define:
		kv.Sep, kv.SepPos = t.Kind, t.Pos
		p.next()
	default:
		p.expected("= or : after " + key.Name)
	}
	kv.Value = p.value()
	return kv
}

// value parses a literal value: string, number, bool, null, list or object.
func (p *parser) value() Expr {
	switch t := p.tok(); {
	case t.Kind == LBrack:
		p.enter()
		defer p.leave()
		l := &ListLit{LBrack: p.next().Pos}
		for p.tok().Kind != RBrack {
			l.Elems = append(l.Elems, p.value())
			if p.tok().Kind != Comma {
				break
			}
			p.next()
		}
		l.RBrack = p.expect(RBrack).Pos
		return l
	case t.Kind == LBrace:
		return p.object()
	case t.Kind == Str || t.Kind == Num || t.Kind == Word && (t.Text == "true" || t.Text == "false" || t.Text == "null"):
		return p.primary()
	}
	p.expected("a value (string, number, true, false, null, list or object)")
	return nil
}

func (p *parser) object() *ObjectLit {
	p.enter()
	defer p.leave()
	o := &ObjectLit{LBrace: p.expect(LBrace).Pos}
	o.Entries = p.kvs(RBrace)
	o.RBrace = p.next().Pos
	return o
}

func (p *parser) imports() *Imports {
	im := &Imports{KwPos: p.next().Pos}
	switch p.tok().Kind {
	case Str, LBrack, LBrace:
		im.Value = p.value()
	default:
		p.expected("a string or list after imports")
	}
	p.semi()
	return im
}

func (p *parser) profile() *Profile {
	pr := &Profile{KwPos: p.next().Pos}
	pr.Name = p.ident("a profile name")
	pr.LBrace = p.expect(LBrace).Pos
	for {
		p.semi()
		if p.tok().Kind == RBrace {
			break
		}
		t, t1 := p.tok(), p.peekTok(1)
		switch {
		case t.Kind == Word && t.Text == "map" && t1.Kind == Word:
			pr.Items = append(pr.Items, p.mapBlock())
		case t.Kind == Word && t.Text == "env" && t1.Kind == Word:
			pr.Items = append(pr.Items, p.envBlock())
		case t.Kind == Word:
			pr.Items = append(pr.Items, p.kv())
		default:
			p.expected("map, env or a KEY = VALUE scalar")
		}
	}
	pr.RBrace = p.next().Pos
	p.semi()
	return pr
}

func (p *parser) mapBlock() *MapBlock {
	m := &MapBlock{KwPos: p.next().Pos}
	m.Name = p.ident("a map name")
	m.LBrace = p.expect(LBrace).Pos
	for {
		p.semi()
		if p.tok().Kind == RBrace {
			break
		}
		e := &MapEntry{Key: p.ident(`a map entry (KEY "MATCH" => DELTA)`)}
		e.Match = p.stringLit()
		e.Arrow = p.expect(Arrow).Pos
		e.Delta = p.number()
		m.Entries = append(m.Entries, e)
	}
	m.RBrace = p.next().Pos
	return m
}

func (p *parser) envBlock() *EnvBlock {
	e := &EnvBlock{KwPos: p.next().Pos}
	e.Name = p.ident("an env block name")
	e.LBrace = p.expect(LBrace).Pos
	for {
		p.semi()
		if p.tok().Kind == RBrace {
			break
		}
		en := &EnvEntry{IfPos: p.expectWord("if")}
		en.Cond = p.expr()
		en.ThenPos = p.expectWord("then")
		en.Delta = p.number()
		e.Entries = append(e.Entries, en)
	}
	e.RBrace = p.next().Pos
	return e
}

func (p *parser) rule() *Rule {
	r := &Rule{KwPos: p.next().Pos}
	r.Name = p.ident("a rule name")
	if p.isWord("priority") {
		r.PriorityPos = p.next().Pos
		r.Priority = p.number()
	}
	r.LBrace = p.expect(LBrace).Pos
	r.WhenPos = p.expectWord("when")
	r.When = p.expr()
	r.ThenPos = p.expectWord("then")
	r.Then = p.actions()
	if p.isWord("else") {
		r.ElsePos = p.next().Pos
		r.Else = p.actions()
	}
	if p.isWord("because") {
		r.BecausePos = p.next().Pos
		r.Because = p.stringLit()
		p.semi()
	}
	if p.tok().Kind != RBrace {
		switch {
		case r.Because != nil:
			p.expected("} to close rule " + r.Name.Name)
		case r.ElsePos.IsValid():
			p.expected("an action, because or }")
		default:
			p.expected("an action, else, because or }")
		}
	}
	r.RBrace = p.next().Pos
	p.semi()
	return r
}

// actions parses one or more actions.
func (p *parser) actions() []Action {
	var as []Action
	for {
		t := p.tok()
		if t.Kind != Word || !actionWords[t.Text] {
			if len(as) == 0 {
				p.expected("an action (status, severity, annotate, warn, escalate, requireVex or ignore)")
			}
			return as
		}
		as = append(as, p.action())
		p.semi()
	}
}

func (p *parser) action() Action {
	kw := p.next()
	switch kw.Text {
	case "status", "severity":
		a := &AssignAction{KwPos: kw.Pos, Target: kw.Text}
		a.Define = p.expectDefine(kw.Text)
		a.Value = p.expr()
		return a
	case "annotate":
		a := &AnnotateAction{KwPos: kw.Pos, Key: p.ident("an annotation key")}
		a.Define = p.expectDefine("annotate " + a.Key.Name)
		a.Value = p.expr()
		return a
	case "warn":
		a := &WarnAction{KwPos: kw.Pos}
		if p.isWord("message") {
			a.MessagePos = p.next().Pos
			a.Message = p.stringLit()
		}
		return a
	case "escalate":
		a := &EscalateAction{KwPos: kw.Pos, ToPos: p.expectWord("to")}
		a.Value = p.expr()
		return a
	case "requireVex":
		return &RequireVexAction{KwPos: kw.Pos, Body: p.object()}
	default: // ignore
		a := &IgnoreAction{KwPos: kw.Pos}
		if p.isWord("until") {
			a.UntilPos = p.next().Pos
			a.Until = p.expr()
		}
		return a
	}
}

func (p *parser) expectDefine(after string) Pos {
	if p.tok().Kind != Define {
		p.expected(":= after " + after)
	}
	return p.next().Pos
}

// ---- leaves ----

// ident parses any word as a name.
func (p *parser) ident(what string) *Ident {
	if p.tok().Kind != Word {
		p.expected(what)
	}
	t := p.next()
	return &Ident{NamePos: t.Pos, Name: t.Text}
}

func (p *parser) stringLit() *StringLit {
	t := p.expect(Str)
	return &StringLit{ValuePos: t.Pos, ValueEnd: t.End, Value: t.Value, Raw: t.Text}
}

func (p *parser) number() *NumberLit {
	t := p.expect(Num)
	return &NumberLit{ValuePos: t.Pos, ValueEnd: t.End, Raw: t.Text}
}

// ---- expressions ----

func (p *parser) expr() Expr {
	p.enter()
	defer p.leave()
	return p.or()
}

func (p *parser) or() Expr {
	x := p.and()
	for p.isWord("or") {
		op := p.next()
		x = &BinaryExpr{X: x, OpPos: op.Pos, Op: "or", Y: p.and()}
	}
	return x
}

func (p *parser) and() Expr {
	x := p.not()
	for p.isWord("and") {
		op := p.next()
		x = &BinaryExpr{X: x, OpPos: op.Pos, Op: "and", Y: p.not()}
	}
	return x
}

func (p *parser) not() Expr {
	if p.isWord("not") && !(p.peekTok(1).Kind == Word && p.peekTok(1).Text == "in") {
		p.enter()
		defer p.leave()
		op := p.next()
		return &UnaryExpr{OpPos: op.Pos, X: p.not()}
	}
	return p.cmp()
}

var cmpKinds = map[Kind]string{Eq: "==", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">="}

// cmpOp returns the comparison operator at the current token, if any, and
// how many tokens it spans.
func (p *parser) cmpOp() (string, int) {
	t := p.tok()
	if op, ok := cmpKinds[t.Kind]; ok {
		return op, 1
	}
	if t.Kind == Word && t.Text == "in" {
		return "in", 1
	}
	if t.Kind == Word && t.Text == "not" && p.peekTok(1).Kind == Word && p.peekTok(1).Text == "in" {
		return "not in", 2
	}
	return "", 0
}

func (p *parser) cmp() Expr {
	x := p.postfix()
	op, n := p.cmpOp()
	if n == 0 {
		return x
	}
	pos := p.tok().Pos
	p.i += n
	b := &BinaryExpr{X: x, OpPos: pos, Op: op, Y: p.postfix()}
	if op2, n2 := p.cmpOp(); n2 > 0 {
		p.fail("dsl.syntax.unexpected", "comparison operators do not chain: add parentheses around %s or use and", strings.TrimSpace(op+" … "+op2))
	}
	return b
}

func (p *parser) postfix() Expr {
	x := p.primary()
	// Each step nests the tree one level deeper, so it counts against the
	// depth limit like a parenthesis.
	steps := 0
	defer func() { p.depth -= steps }()
	for {
		if k := p.tok().Kind; k == Dot || k == LParen || k == LBrack {
			p.enter()
			steps++
		}
		switch p.tok().Kind {
		case Dot:
			dot := p.next().Pos
			x = &MemberExpr{X: x, Dot: dot, Name: p.ident("a field name after .")}
		case LParen:
			c := &CallExpr{Fn: x, LParen: p.next().Pos}
			for p.tok().Kind != RParen {
				c.Args = append(c.Args, p.expr())
				if p.tok().Kind != Comma {
					break
				}
				p.next()
			}
			c.RParen = p.expect(RParen).Pos
			x = c
		case LBrack:
			ix := &IndexExpr{X: x, LBrack: p.next().Pos}
			ix.Index = p.expr()
			ix.RBrack = p.expect(RBrack).Pos
			x = ix
		default:
			return x
		}
	}
}

func (p *parser) primary() Expr {
	t := p.tok()
	switch t.Kind {
	case Str:
		return p.stringLit()
	case Num:
		return p.number()
	case Word:
		switch t.Text {
		case "true", "false":
			p.next()
			return &BoolLit{ValuePos: t.Pos, Value: t.Text == "true"}
		case "null":
			p.next()
			return &NullLit{ValuePos: t.Pos}
		}
		if reserved[t.Text] {
			p.expected("an expression")
		}
		p.next()
		return &Ident{NamePos: t.Pos, Name: t.Text}
	case LParen:
		pe := &ParenExpr{LParen: p.next().Pos}
		pe.X = p.expr()
		pe.RParen = p.expect(RParen).Pos
		return pe
	case LBrack:
		l := &ListLit{LBrack: p.next().Pos}
		for p.tok().Kind != RBrack {
			l.Elems = append(l.Elems, p.expr())
			if p.tok().Kind != Comma {
				break
			}
			p.next()
		}
		l.RBrack = p.expect(RBrack).Pos
		return l
	}
	p.expected("an expression")
	return nil
}
