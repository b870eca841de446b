package syntax

import (
	"fmt"
)

// This file defines positions and tokens.

// Pos is a place in a source file: 1-based line and column (columns count
// runes) and the 0-based byte offset. The zero Pos means "no position".
type Pos struct {
	Line, Col, Offset int
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as line:col.
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Span is the half-open source range [Start, End) of a node.
type Span struct {
	Start, End Pos
}

// Kind is the kind of a token.
type Kind int

// Token kinds. Keywords are not separate kinds: the grammar's words are
// contextual, so the scanner returns them as Word and the parser decides.
const (
	EOF    Kind = iota
	Word        // block_critical, severity, when
	Str         // "text" (Token.Value holds the decoded text)
	Num         // 42, -1.5, +0.5
	LBrace      // {
	RBrace      // }
	LParen      // (
	RParen      // )
	LBrack      // [
	RBrack      // ]
	Comma       // ,
	Semi        // ;
	Colon       // :
	Assign      // =
	Define      // :=
	Arrow       // =>
	Dot         // .
	Eq          // ==
	Ne          // !=
	Lt          // <
	Le          // <=
	Gt          // >
	Ge          // >=
)

var kindNames = [...]string{
	EOF: "end of file", Word: "identifier", Str: "string", Num: "number",
	LBrace: "{", RBrace: "}", LParen: "(", RParen: ")", LBrack: "[", RBrack: "]",
	Comma: ",", Semi: ";", Colon: ":", Assign: "=", Define: ":=", Arrow: "=>", Dot: ".",
	Eq: "==", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=",
}

// String names the kind as diagnostics quote it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Token is one lexical token.
type Token struct {
	Kind  Kind
	Text  string // the source text of the token
	Value string // Str: the decoded value; otherwise Text
	Pos   Pos    // first character
	End   Pos    // just after the last character
}

// describe quotes a token for "expected X, found Y" messages.
func (t Token) describe() string {
	switch t.Kind {
	case EOF:
		return "end of file"
	case Word:
		return fmt.Sprintf("%q", t.Text)
	case Str:
		return "string " + t.Text
	case Num:
		return "number " + t.Text
	}
	return fmt.Sprintf("%q", t.Text)
}

// Comment is a `// line` or `/* block */` comment.
type Comment struct {
	Text     string // as written, including the markers
	Pos, End Pos
}

// Block reports whether c is a /* */ comment.
func (c Comment) Block() bool { return len(c.Text) > 1 && c.Text[1] == '*' }
