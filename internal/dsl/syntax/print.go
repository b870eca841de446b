package syntax

import (
	"bytes"
	"strings"

	"github.com/stella-policy/stella/internal/ir"
)

// This file is the canonical printer behind `stella policy fmt`.
//
// Layout: two-space indentation; one blank line between sections; `=` in
// key/value blocks; strings re-quoted canonically (numbers keep their text);
// one space around binary operators; lists and objects on one line. A rule's
// condition is printed on one line unless it spanned several lines in the
// source, in which case its top-level and/or chain is split one operand per
// line, aligned under the first; a rule's actions are aligned the same way.
// Parentheses are kept as written.
//
// Comments are kept: each is emitted before the first token that follows it
// in the source, on the same line as the preceding token when it was there
// (a trailing comment) and on its own line otherwise. A blank line before a
// comment that follows a statement is kept.

// Print formats a parsed file. The file must have parsed without syntax
// errors (Policy != nil); a nil Policy prints only the comments.
func Print(f *File) []byte {
	p := &printer{comments: f.Comments}
	if f.Policy != nil {
		p.policy(f.Policy)
	}
	p.flush(Pos{Offset: int(^uint(0) >> 1)})
	p.buf.WriteByte('\n')
	return p.buf.Bytes()
}

type printer struct {
	buf      bytes.Buffer
	indent   int // spaces at the start of each new line
	comments []Comment
	ci       int // next comment to emit
	lastLine int // source line of the last token or comment written
	content  bool
	nl       int  // newlines owed before the next output (1 = line break, 2 = blank line)
	space    bool // a space owed before the next output on this line
	afterCom bool // the last thing written was a comment
}

// write emits s, the text of the token at source position pos, after the
// comments that precede pos.
func (p *printer) write(pos Pos, s string) {
	if pos.IsValid() {
		p.flush(pos)
		if p.afterCom && p.nl == 1 && pos.Line > p.lastLine+1 {
			p.nl = 2
		}
	}
	p.emit(s)
	p.afterCom = false
	if pos.IsValid() {
		p.lastLine = pos.Line
	}
}

// emit writes s after the owed newlines or space.
func (p *printer) emit(s string) {
	if p.nl > 0 {
		if p.content || p.buf.Len() > 0 {
			p.buf.WriteString(strings.Repeat("\n", p.nl))
		}
		p.nl, p.space, p.content = 0, false, false
	}
	if !p.content {
		p.buf.WriteString(strings.Repeat(" ", p.indent))
	} else if p.space {
		p.buf.WriteByte(' ')
	}
	p.space = false
	p.buf.WriteString(s)
	p.content = true
}

// closeBrace writes the } at pos one level out, after the comments that
// precede it at the inner level.
func (p *printer) closeBrace(pos Pos) {
	p.flush(pos)
	p.indent -= 2
	p.newline()
	p.write(pos, "}")
}

func (p *printer) sp() { p.space = true }

func (p *printer) newline() { p.nl = max(p.nl, 1) }

func (p *printer) blank() { p.nl = 2 }

// flush emits the comments that start before pos.
func (p *printer) flush(pos Pos) {
	for p.ci < len(p.comments) && p.comments[p.ci].Pos.Offset < pos.Offset {
		c := p.comments[p.ci]
		p.ci++
		if p.content && c.Pos.Line == p.lastLine {
			// Trailing: stays on the line of the preceding token.
			p.buf.WriteByte(' ')
			p.buf.WriteString(c.Text)
		} else {
			if p.content || p.nl > 0 {
				if c.Pos.Line > p.lastLine+1 && p.lastLine > 0 && p.nl > 0 {
					p.nl = 2
				}
				p.newline()
			}
			p.emit(c.Text)
		}
		p.lastLine = c.End.Line
		p.afterCom = true
		if !c.Block() {
			p.newline()
		} else if next := p.nextLine(); next > c.End.Line {
			p.newline()
		} else {
			p.sp()
		}
	}
}

// nextLine returns the source line of the next comment or, failing that,
// a line after everything so far (only the relation to the comment matters).
func (p *printer) nextLine() int {
	if p.ci < len(p.comments) {
		return p.comments[p.ci].Pos.Line
	}
	return p.lastLine
}

// ---- structure ----

func (p *printer) policy(pol *Policy) {
	p.write(pol.Keyword, "policy")
	p.sp()
	p.str(pol.Name)
	p.sp()
	p.write(pol.SyntaxKw, "syntax")
	p.sp()
	p.str(pol.Syntax)
	p.sp()
	p.write(pol.LBrace, "{")
	p.indent += 2
	for i, s := range pol.Sections {
		if i > 0 {
			p.blank()
		} else {
			p.newline()
		}
		p.section(s)
	}
	p.closeBrace(pol.RBrace)
}

func (p *printer) section(s Section) {
	switch s := s.(type) {
	case *Block:
		p.write(s.KwPos, s.Keyword)
		p.sp()
		p.kvBlock(s.LBrace, s.Entries, s.RBrace)
	case *Profile:
		p.write(s.KwPos, "profile")
		p.sp()
		p.ident(s.Name)
		p.sp()
		p.write(s.LBrace, "{")
		p.indent += 2
		for _, it := range s.Items {
			p.newline()
			p.profileItem(it)
		}
		p.closeBrace(s.RBrace)
	case *Imports:
		p.write(s.KwPos, "imports")
		p.sp()
		p.expr(s.Value)
	case *Rule:
		p.rule(s)
	}
}

// kvBlock prints `{` entries one per line `}`.
func (p *printer) kvBlock(lbrace Pos, kvs []*KV, rbrace Pos) {
	p.write(lbrace, "{")
	p.indent += 2
	for _, kv := range kvs {
		p.newline()
		p.kv(kv)
	}
	p.closeBrace(rbrace)
}

func (p *printer) kv(kv *KV) {
	p.ident(kv.Key)
	p.sp()
	p.write(kv.SepPos, "=")
	p.sp()
	p.expr(kv.Value)
}

func (p *printer) profileItem(it ProfileItem) {
	switch it := it.(type) {
	case *KV:
		p.kv(it)
	case *MapBlock:
		p.write(it.KwPos, "map")
		p.sp()
		p.ident(it.Name)
		p.sp()
		p.write(it.LBrace, "{")
		p.indent += 2
		for _, e := range it.Entries {
			p.newline()
			p.ident(e.Key)
			p.sp()
			p.str(e.Match)
			p.sp()
			p.write(e.Arrow, "=>")
			p.sp()
			p.write(e.Delta.ValuePos, e.Delta.Raw)
		}
		p.closeBrace(it.RBrace)
	case *EnvBlock:
		p.write(it.KwPos, "env")
		p.sp()
		p.ident(it.Name)
		p.sp()
		p.write(it.LBrace, "{")
		p.indent += 2
		for _, e := range it.Entries {
			p.newline()
			p.write(e.IfPos, "if")
			p.sp()
			p.expr(e.Cond)
			p.sp()
			p.write(e.ThenPos, "then")
			p.sp()
			p.write(e.Delta.ValuePos, e.Delta.Raw)
		}
		p.closeBrace(it.RBrace)
	}
}

func (p *printer) rule(r *Rule) {
	p.write(r.KwPos, "rule")
	p.sp()
	p.ident(r.Name)
	if r.Priority != nil {
		p.sp()
		p.write(r.PriorityPos, "priority")
		p.sp()
		p.write(r.Priority.ValuePos, r.Priority.Raw)
	}
	p.sp()
	p.write(r.LBrace, "{")
	p.indent += 2
	p.newline()
	p.write(r.WhenPos, "when")
	p.sp()
	p.cond(r.When)
	p.newline()
	p.write(r.ThenPos, "then")
	p.sp()
	p.actions(r.Then)
	if r.Else != nil {
		p.newline()
		p.write(r.ElsePos, "else")
		p.sp()
		p.actions(r.Else)
	}
	if r.Because != nil {
		p.newline()
		p.write(r.BecausePos, "because")
		p.sp()
		p.str(r.Because)
	}
	p.closeBrace(r.RBrace)
}

// cond prints a rule condition, split at its top-level and/or chain when it
// spanned several source lines.
func (p *printer) cond(x Expr) {
	sp := x.Span()
	b, ok := x.(*BinaryExpr)
	if !ok || sp.Start.Line == sp.End.Line || (b.Op != "and" && b.Op != "or") {
		p.expr(x)
		return
	}
	var chain []Expr
	var ops []*BinaryExpr
	for {
		chain = append(chain, b.Y)
		ops = append(ops, b)
		l, ok := b.X.(*BinaryExpr)
		if !ok || l.Op != b.Op {
			chain = append(chain, b.X)
			break
		}
		b = l
	}
	saved := p.indent
	p.indent += len("when ")
	n := len(chain) - 1
	p.expr(chain[n])
	for i := n - 1; i >= 0; i-- {
		p.newline()
		p.write(ops[i].OpPos, ops[i].Op)
		p.sp()
		p.expr(chain[i])
	}
	p.indent = saved
}

// actions prints a branch, one action per line aligned after then/else.
func (p *printer) actions(as []Action) {
	saved := p.indent
	p.indent += len("then ")
	for i, a := range as {
		if i > 0 {
			p.newline()
		}
		p.action(a)
	}
	p.indent = saved
}

func (p *printer) action(a Action) {
	switch a := a.(type) {
	case *AssignAction:
		p.write(a.KwPos, a.Target)
		p.sp()
		p.write(a.Define, ":=")
		p.sp()
		p.expr(a.Value)
	case *AnnotateAction:
		p.write(a.KwPos, "annotate")
		p.sp()
		p.ident(a.Key)
		p.sp()
		p.write(a.Define, ":=")
		p.sp()
		p.expr(a.Value)
	case *WarnAction:
		p.write(a.KwPos, "warn")
		if a.Message != nil {
			p.sp()
			p.write(a.MessagePos, "message")
			p.sp()
			p.str(a.Message)
		}
	case *EscalateAction:
		p.write(a.KwPos, "escalate")
		p.sp()
		p.write(a.ToPos, "to")
		p.sp()
		p.expr(a.Value)
	case *RequireVexAction:
		p.write(a.KwPos, "requireVex")
		p.sp()
		p.expr(a.Body)
	case *IgnoreAction:
		p.write(a.KwPos, "ignore")
		if a.Until != nil {
			p.sp()
			p.write(a.UntilPos, "until")
			p.sp()
			p.expr(a.Until)
		}
	}
}

// ---- expressions ----

func (p *printer) ident(id *Ident) { p.write(id.NamePos, id.Name) }

func (p *printer) str(s *StringLit) { p.write(s.ValuePos, ir.Quote(s.Value)) }

func (p *printer) expr(x Expr) {
	switch x := x.(type) {
	case *Ident:
		p.ident(x)
	case *StringLit:
		p.str(x)
	case *NumberLit:
		p.write(x.ValuePos, x.Raw)
	case *BoolLit:
		if x.Value {
			p.write(x.ValuePos, "true")
		} else {
			p.write(x.ValuePos, "false")
		}
	case *NullLit:
		p.write(x.ValuePos, "null")
	case *ListLit:
		p.write(x.LBrack, "[")
		for i, e := range x.Elems {
			if i > 0 {
				p.emit(",")
				p.sp()
			}
			p.expr(e)
		}
		p.write(x.RBrack, "]")
	case *ObjectLit:
		p.write(x.LBrace, "{")
		for i, kv := range x.Entries {
			if i > 0 {
				p.emit(",")
			}
			p.sp()
			p.kv(kv)
		}
		if len(x.Entries) > 0 {
			p.sp()
		}
		p.write(x.RBrace, "}")
	case *ParenExpr:
		p.write(x.LParen, "(")
		p.expr(x.X)
		p.write(x.RParen, ")")
	case *MemberExpr:
		p.expr(x.X)
		p.write(x.Dot, ".")
		p.ident(x.Name)
	case *CallExpr:
		p.expr(x.Fn)
		p.write(x.LParen, "(")
		for i, a := range x.Args {
			if i > 0 {
				p.emit(",")
				p.sp()
			}
			p.expr(a)
		}
		p.write(x.RParen, ")")
	case *IndexExpr:
		p.expr(x.X)
		p.write(x.LBrack, "[")
		p.expr(x.Index)
		p.write(x.RBrack, "]")
	case *UnaryExpr:
		p.write(x.OpPos, "not")
		p.sp()
		p.expr(x.X)
	case *BinaryExpr:
		p.expr(x.X)
		p.sp()
		p.write(x.OpPos, x.Op)
		p.sp()
		p.expr(x.Y)
	}
}
