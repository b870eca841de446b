package syntax

// This file defines the syntax tree. Every node reports its Span; nodes also
// keep the positions of their keywords and brackets so that diagnostics can
// point at the exact token.

// Node is implemented by every syntax tree node.
type Node interface {
	Span() Span
}

// after returns the position just after a one-byte token at p.
func after(p Pos) Pos { return Pos{Line: p.Line, Col: p.Col + 1, Offset: p.Offset + 1} }

// File is a parsed source file.
type File struct {
	Name     string
	Policy   *Policy   // nil when the header could not be parsed
	Comments []Comment // in source order
}

// Policy is `policy "NAME" syntax "stella-dsl@1" { sections }`.
type Policy struct {
	Keyword  Pos
	Name     *StringLit
	SyntaxKw Pos
	Syntax   *StringLit
	LBrace   Pos
	Sections []Section
	RBrace   Pos
}

// Span implements Node.
func (p *Policy) Span() Span { return Span{p.Keyword, after(p.RBrace)} }

// Section is a top-level item of a policy: *Block, *Profile, *Rule or *Imports.
type Section interface {
	Node
	section()
}

// Block is a `metadata { … }` or `settings { … }` section.
type Block struct {
	Keyword string // "metadata" or "settings"
	KwPos   Pos
	LBrace  Pos
	Entries []*KV
	RBrace  Pos
}

// Profile is `profile NAME { map … env … KEY = VALUE }`.
type Profile struct {
	KwPos  Pos
	Name   *Ident
	LBrace Pos
	Items  []ProfileItem // *MapBlock, *EnvBlock or *KV, in source order
	RBrace Pos
}

// Imports is the reserved `imports VALUE` section, kept only to be
// reported.
type Imports struct {
	KwPos Pos
	Value Expr // a string, list or object literal
}

// Rule is `rule NAME [priority N] { when … then … [else …] [because "…"] }`.
type Rule struct {
	KwPos       Pos
	Name        *Ident
	PriorityPos Pos        // zero when there is no priority clause
	Priority    *NumberLit // nil when absent
	LBrace      Pos
	WhenPos     Pos
	When        Expr
	ThenPos     Pos
	Then        []Action
	ElsePos     Pos // zero when there is no else
	Else        []Action
	BecausePos  Pos        // zero when there is no because
	Because     *StringLit // nil when absent
	RBrace      Pos
}

// Span implements Node.
func (b *Block) Span() Span { return Span{b.KwPos, after(b.RBrace)} }

// Span implements Node.
func (p *Profile) Span() Span { return Span{p.KwPos, after(p.RBrace)} }

// Span implements Node.
func (i *Imports) Span() Span { return Span{i.KwPos, i.Value.Span().End} }

// Span implements Node.
func (r *Rule) Span() Span { return Span{r.KwPos, after(r.RBrace)} }

func (*Block) section()   {}
func (*Profile) section() {}
func (*Imports) section() {}
func (*Rule) section()    {}

// ProfileItem is an item of a profile: *MapBlock, *EnvBlock or *KV.
type ProfileItem interface {
	Node
	profileItem()
}

// MapBlock is `map NAME { KEY "MATCH" => DELTA … }`.
type MapBlock struct {
	KwPos   Pos
	Name    *Ident
	LBrace  Pos
	Entries []*MapEntry
	RBrace  Pos
}

// MapEntry is `source "GHSA" => +0.5`.
type MapEntry struct {
	Key   *Ident
	Match *StringLit
	Arrow Pos
	Delta *NumberLit
}

// EnvBlock is `env NAME { if COND then DELTA … }`.
type EnvBlock struct {
	KwPos   Pos
	Name    *Ident
	LBrace  Pos
	Entries []*EnvEntry
	RBrace  Pos
}

// EnvEntry is `if env.exposure == "internet" then +0.5`.
type EnvEntry struct {
	IfPos   Pos
	Cond    Expr
	ThenPos Pos
	Delta   *NumberLit
}

// KV is `KEY = VALUE` (or `KEY: VALUE`) in metadata, settings, profile
// scalars and object literals.
type KV struct {
	Key    *Ident
	Sep    Kind // Assign, Colon or Define, as written
	SepPos Pos
	Value  Expr // a literal, *ListLit or *ObjectLit
}

// Span implements Node.
func (m *MapBlock) Span() Span { return Span{m.KwPos, after(m.RBrace)} }

// Span implements Node.
func (e *MapEntry) Span() Span { return Span{e.Key.NamePos, e.Delta.Span().End} }

// Span implements Node.
func (e *EnvBlock) Span() Span { return Span{e.KwPos, after(e.RBrace)} }

// Span implements Node.
func (e *EnvEntry) Span() Span { return Span{e.IfPos, e.Delta.Span().End} }

// Span implements Node.
func (kv *KV) Span() Span { return Span{kv.Key.NamePos, kv.Value.Span().End} }

func (*MapBlock) profileItem() {}
func (*EnvBlock) profileItem() {}
func (*KV) profileItem()       {}

// Action is one action of a then or else branch.
type Action interface {
	Node
	action()
}

// AssignAction is `status := EXPR` or `severity := EXPR`.
type AssignAction struct {
	KwPos  Pos
	Target string // "status" or "severity"
	Define Pos
	Value  Expr
}

// AnnotateAction is `annotate KEY := EXPR`.
type AnnotateAction struct {
	KwPos  Pos
	Key    *Ident
	Define Pos
	Value  Expr
}

// WarnAction is `warn [message "…"]`.
type WarnAction struct {
	KwPos      Pos
	MessagePos Pos        // zero when absent
	Message    *StringLit // nil when absent
}

// EscalateAction is `escalate to EXPR`.
type EscalateAction struct {
	KwPos Pos
	ToPos Pos
	Value Expr
}

// RequireVexAction is `requireVex { vendors = […], justifications = […] }`.
type RequireVexAction struct {
	KwPos Pos
	Body  *ObjectLit
}

// IgnoreAction is `ignore [until EXPR]`.
type IgnoreAction struct {
	KwPos    Pos
	UntilPos Pos  // zero when absent
	Until    Expr // nil when absent
}

// Span implements Node.
func (a *AssignAction) Span() Span { return Span{a.KwPos, a.Value.Span().End} }

// Span implements Node.
func (a *AnnotateAction) Span() Span { return Span{a.KwPos, a.Value.Span().End} }

// Span implements Node.
func (a *WarnAction) Span() Span {
	if a.Message != nil {
		return Span{a.KwPos, a.Message.Span().End}
	}
	return Span{a.KwPos, wordEnd(a.KwPos, "warn")}
}

// Span implements Node.
func (a *EscalateAction) Span() Span { return Span{a.KwPos, a.Value.Span().End} }

// Span implements Node.
func (a *RequireVexAction) Span() Span { return Span{a.KwPos, a.Body.Span().End} }

// Span implements Node.
func (a *IgnoreAction) Span() Span {
	if a.Until != nil {
		return Span{a.KwPos, a.Until.Span().End}
	}
	return Span{a.KwPos, wordEnd(a.KwPos, "ignore")}
}

func (*AssignAction) action()     {}
func (*AnnotateAction) action()   {}
func (*WarnAction) action()       {}
func (*EscalateAction) action()   {}
func (*RequireVexAction) action() {}
func (*IgnoreAction) action()     {}

// Expr is an expression or a literal value.
type Expr interface {
	Node
	expr()
}

// Ident is a name: a namespace, a function, a field in predicate scope.
type Ident struct {
	NamePos Pos
	Name    string
}

// StringLit is a string literal; Value is decoded, Raw as written.
type StringLit struct {
	ValuePos, ValueEnd Pos
	Value              string
	Raw                string
}

// NumberLit is a number literal such as 42, -1.5 or +0.5.
type NumberLit struct {
	ValuePos, ValueEnd Pos
	Raw                string
}

// BoolLit is true or false.
type BoolLit struct {
	ValuePos Pos
	Value    bool
}

// NullLit is null.
type NullLit struct {
	ValuePos Pos
}

// ListLit is `[a, b, …]`.
type ListLit struct {
	LBrack Pos
	Elems  []Expr
	RBrack Pos
}

// ObjectLit is `{ k = v, … }`; it appears only as a value (metadata,
// settings, requireVex), never in conditions.
type ObjectLit struct {
	LBrace  Pos
	Entries []*KV
	RBrace  Pos
}

// ParenExpr is `( X )`.
type ParenExpr struct {
	LParen Pos
	X      Expr
	RParen Pos
}

// MemberExpr is `X.Name`.
type MemberExpr struct {
	X    Expr
	Dot  Pos
	Name *Ident
}

// CallExpr is `Fn(Args…)`.
type CallExpr struct {
	Fn     Expr
	LParen Pos
	Args   []Expr
	RParen Pos
}

// IndexExpr is `X[Index]`.
type IndexExpr struct {
	X      Expr
	LBrack Pos
	Index  Expr
	RBrack Pos
}

// UnaryExpr is `not X`.
type UnaryExpr struct {
	OpPos Pos
	X     Expr
}

// BinaryExpr is `X Op Y` for the logical and comparison operators.
type BinaryExpr struct {
	X     Expr
	OpPos Pos
	Op    string // and or == != < <= > >= in, or "not in"
	Y     Expr
}

func wordEnd(p Pos, w string) Pos {
	return Pos{Line: p.Line, Col: p.Col + len(w), Offset: p.Offset + len(w)}
}

// Span implements Node.
func (x *Ident) Span() Span { return Span{x.NamePos, wordEnd(x.NamePos, x.Name)} }

// Span implements Node.
func (x *StringLit) Span() Span { return Span{x.ValuePos, x.ValueEnd} }

// Span implements Node.
func (x *NumberLit) Span() Span { return Span{x.ValuePos, x.ValueEnd} }

// Span implements Node.
func (x *BoolLit) Span() Span {
	if x.Value {
		return Span{x.ValuePos, wordEnd(x.ValuePos, "true")}
	}
	return Span{x.ValuePos, wordEnd(x.ValuePos, "false")}
}

// Span implements Node.
func (x *NullLit) Span() Span { return Span{x.ValuePos, wordEnd(x.ValuePos, "null")} }

// Span implements Node.
func (x *ListLit) Span() Span { return Span{x.LBrack, after(x.RBrack)} }

// Span implements Node.
func (x *ObjectLit) Span() Span { return Span{x.LBrace, after(x.RBrace)} }

// Span implements Node.
func (x *ParenExpr) Span() Span { return Span{x.LParen, after(x.RParen)} }

// Span implements Node.
func (x *MemberExpr) Span() Span { return Span{x.X.Span().Start, x.Name.Span().End} }

// Span implements Node.
func (x *CallExpr) Span() Span { return Span{x.Fn.Span().Start, after(x.RParen)} }

// Span implements Node.
func (x *IndexExpr) Span() Span { return Span{x.X.Span().Start, after(x.RBrack)} }

// Span implements Node.
func (x *UnaryExpr) Span() Span { return Span{x.OpPos, x.X.Span().End} }

// Span implements Node.
func (x *BinaryExpr) Span() Span { return Span{x.X.Span().Start, x.Y.Span().End} }

func (*Ident) expr()      {}
func (*StringLit) expr()  {}
func (*NumberLit) expr()  {}
func (*BoolLit) expr()    {}
func (*NullLit) expr()    {}
func (*ListLit) expr()    {}
func (*ObjectLit) expr()  {}
func (*ParenExpr) expr()  {}
func (*MemberExpr) expr() {}
func (*CallExpr) expr()   {}
func (*IndexExpr) expr()  {}
func (*UnaryExpr) expr()  {}
func (*BinaryExpr) expr() {}

// Unparen strips any parentheses around x.
func Unparen(x Expr) Expr {
	for {
		p, ok := x.(*ParenExpr)
		if !ok {
			return x
		}
		x = p.X
	}
}
