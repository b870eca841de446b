package syntax

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the scanner: source bytes → tokens and comments.

// Limits bound what the parser accepts, so hostile input fails fast with a
// positioned error instead of exhausting memory or the stack.
type Limits struct {
	MaxBytes  int // source size
	MaxTokens int // tokens, comments excluded
	MaxDepth  int // nesting of expressions, lists and objects
	// MaxRules bounds the rules: the lint phase compares rules pairwise and
	// evaluation runs every rule on every finding, so the cost grows with
	// the rule count, not the file size (docs/performance.md "Bounds").
	MaxRules int
}

// DefaultLimits are generous for hand-written policies: a 1,000-rule
// generated policy uses about a tenth of the byte and token limits and half
// the rule limit.
var DefaultLimits = Limits{MaxBytes: 4 << 20, MaxTokens: 500_000, MaxDepth: 64, MaxRules: 2_000}

type scanner struct {
	file     string
	src      []byte
	off      int // byte offset of the next rune
	line     int
	col      int
	toks     []Token
	comments []Comment
	diags    []Diagnostic
	limits   Limits
}

func (s *scanner) pos() Pos { return Pos{Line: s.line, Col: s.col, Offset: s.off} }

func (s *scanner) errorf(p, end Pos, code, format string, args ...any) {
	if len(s.diags) >= maxSyntaxErrors {
		return
	}
	s.diags = append(s.diags, Diagnostic{File: s.file, Pos: p, End: end, Severity: Error, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// peek returns the rune at the current offset and its size; invalid UTF-8
// reads as utf8.RuneError of size 1, and the end of input as -1.
func (s *scanner) peek() (rune, int) {
	if s.off >= len(s.src) {
		return -1, 0
	}
	if c := s.src[s.off]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(s.src[s.off:])
}

// advance moves past one rune, reporting invalid UTF-8 once per byte.
func (s *scanner) advance() rune {
	r, n := s.peek()
	if n == 0 {
		return -1
	}
	if r == utf8.RuneError && n == 1 {
		p := s.pos()
		s.errorf(p, Pos{p.Line, p.Col + 1, p.Offset + 1}, "dsl.syntax.badEncoding", "invalid UTF-8 byte 0x%02x", s.src[s.off])
	}
	s.off += n
	if r == '\n' {
		s.line++
		s.col = 1
	} else {
		s.col++
	}
	return r
}

// scan tokenizes the whole source. It stops early (with an error) only when
// the token limit is reached; the last token is always EOF.
func (s *scanner) scan() {
	s.line, s.col = 1, 1
	if strings.HasPrefix(string(s.src[:min(3, len(s.src))]), "\uFEFF") {
		s.off = 3 // a leading byte-order mark is ignored
	}
	for {
		s.skipSpace()
		start := s.pos()
		r, _ := s.peek()
		if r < 0 {
			s.toks = append(s.toks, Token{Kind: EOF, Pos: start, End: start})
			return
		}
		if len(s.diags) >= maxSyntaxErrors {
			// Too many lexical errors: the rest is unlikely to be a policy.
			s.toks = append(s.toks, Token{Kind: EOF, Pos: start, End: start})
			return
		}
		if len(s.toks) >= s.limits.MaxTokens {
			s.errorf(start, start, "dsl.limit.tokens", "too many tokens: the limit is %d", s.limits.MaxTokens)
			s.toks = append(s.toks, Token{Kind: EOF, Pos: start, End: start})
			return
		}
		if r == '/' && s.off+1 < len(s.src) && (s.src[s.off+1] == '/' || s.src[s.off+1] == '*') {
			s.comment(start)
			continue
		}
		kind, value, ok := s.token(r)
		if !ok {
			continue
		}
		text := string(s.src[start.Offset:s.off])
		if kind != Str {
			value = text
		}
		s.toks = append(s.toks, Token{Kind: kind, Text: text, Value: value, Pos: start, End: s.pos()})
	}
}

func (s *scanner) skipSpace() {
	for {
		switch r, _ := s.peek(); r {
		case ' ', '\t', '\r', '\n':
			s.advance()
		default:
			return
		}
	}
}

func (s *scanner) comment(start Pos) {
	s.advance()
	if s.advance() == '/' {
		for r, _ := s.peek(); r >= 0 && r != '\n'; r, _ = s.peek() {
			s.hidden(r, bidi(r), "comment")
			s.advance()
		}
	} else {
		closed := false
		for r, _ := s.peek(); r >= 0; r, _ = s.peek() {
			s.hidden(r, bidi(r), "comment")
			s.advance()
			if r == '*' {
				if r2, _ := s.peek(); r2 == '/' {
					s.advance()
					closed = true
					break
				}
			}
		}
		if !closed {
			s.errorf(start, s.pos(), "dsl.syntax.unterminatedComment", "comment not terminated")
		}
	}
	text := strings.TrimRight(strings.ToValidUTF8(string(s.src[start.Offset:s.off]), "\uFFFD"), " \t\r")
	s.comments = append(s.comments, Comment{Text: text, Pos: start, End: s.pos()})
}

// token scans one token starting with r. ok is false when nothing usable
// was produced (an illegal character, already reported).
func (s *scanner) token(r rune) (kind Kind, value string, ok bool) {
	start := s.pos()
	switch {
	case isLetter(r):
		for r, _ := s.peek(); isLetter(r) || isDigit(r); r, _ = s.peek() {
			s.advance()
		}
		return Word, "", true
	case isDigit(r):
		return s.number(start)
	case r == '+' || r == '-':
		if s.off+1 < len(s.src) && isDigit(rune(s.src[s.off+1])) {
			s.advance()
			return s.number(start)
		}
	case r == '"':
		return s.string(start)
	}
	if _, n := s.peek(); r == utf8.RuneError && n == 1 {
		s.advance() // reports the invalid byte
		return 0, "", false
	}
	s.advance()
	two := func(next rune, k2, k1 Kind) (Kind, string, bool) {
		if r2, _ := s.peek(); r2 == next {
			s.advance()
			return k2, "", true
		}
		return k1, "", true
	}
	switch r {
	case '{':
		return LBrace, "", true
	case '}':
		return RBrace, "", true
	case '(':
		return LParen, "", true
	case ')':
		return RParen, "", true
	case '[':
		return LBrack, "", true
	case ']':
		return RBrack, "", true
	case ',':
		return Comma, "", true
	case ';':
		return Semi, "", true
	case '.':
		return Dot, "", true
	case ':':
		return two('=', Define, Colon)
	case '<':
		return two('=', Le, Lt)
	case '>':
		return two('=', Ge, Gt)
	case '=':
		switch r2, _ := s.peek(); r2 {
		case '=':
			s.advance()
			return Eq, "", true
		case '>':
			s.advance()
			return Arrow, "", true
		}
		return Assign, "", true
	case '!':
		if r2, _ := s.peek(); r2 == '=' {
			s.advance()
			return Ne, "", true
		}
	}
	s.errorf(start, s.pos(), "dsl.syntax.badChar", "unexpected character %s", strconv.QuoteRune(r))
	return 0, "", false
}

// number scans DIGITS [ "." DIGITS ]; the sign, if any, is already consumed.
func (s *scanner) number(start Pos) (Kind, string, bool) {
	for r, _ := s.peek(); isDigit(r); r, _ = s.peek() {
		s.advance()
	}
	if r, _ := s.peek(); r == '.' && s.off+1 < len(s.src) && isDigit(rune(s.src[s.off+1])) {
		s.advance()
		for r, _ := s.peek(); isDigit(r); r, _ = s.peek() {
			s.advance()
		}
	}
	return Num, "", true
}

// string scans a double-quoted string literal and decodes its escapes:
// \" \\ \/ \b \f \n \r \t and \uXXXX (UTF-16, surrogate pairs combined).
func (s *scanner) string(start Pos) (Kind, string, bool) {
	s.advance()
	var b strings.Builder
	for {
		p := s.pos()
		r, _ := s.peek()
		switch {
		case r < 0 || r == '\n':
			s.errorf(start, p, "dsl.syntax.unterminatedString", "string not terminated")
			return Str, b.String(), true
		case r == '"':
			s.advance()
			return Str, b.String(), true
		case r == '\\':
			s.advance()
			s.escape(&b, p)
		default:
			s.hidden(r, bidi(r) || r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f, "string")
			s.advance()
			b.WriteRune(r)
		}
	}
}

// hidden reports a character that changes how the source reads without
// showing itself (docs/dsl.md §1): a bidirectional control in a string or a
// comment ("Trojan Source": a reviewer reads other text than the compiler
// compiles), or a control character in a string, which would reach
// terminals and logs. An escape (\u202e) is visible and allowed.
func (s *scanner) hidden(r rune, bad bool, where string) {
	if !bad {
		return
	}
	fix := "remove it"
	if where == "string" {
		fix = fmt.Sprintf("write it as the escape \\u%04x if it is meant", r)
	}
	p := s.pos()
	s.errorf(p, Pos{p.Line, p.Col + 1, p.Offset + utf8.RuneLen(r)}, "dsl.syntax.hiddenChar", "invisible character U+%04X in a %s; %s", r, where, fix)
}

// bidi reports the Unicode bidirectional formatting characters.
func bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

var simpleEscapes = map[rune]rune{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (s *scanner) escape(b *strings.Builder, p Pos) {
	r, _ := s.peek()
	if v, ok := simpleEscapes[r]; ok {
		s.advance()
		b.WriteRune(v)
		return
	}
	if r != 'u' {
		if r >= 0 && r != '\n' {
			s.advance()
		}
		s.errorf(p, s.pos(), "dsl.syntax.badEscape", "unknown escape sequence in string")
		return
	}
	s.advance()
	u, ok := s.hex4()
	if !ok {
		s.errorf(p, s.pos(), "dsl.syntax.badEscape", `\u must be followed by four hex digits`)
		return
	}
	if utf16.IsSurrogate(rune(u)) {
		if u < 0xdc00 && s.off+1 < len(s.src) && s.src[s.off] == '\\' && s.src[s.off+1] == 'u' {
			save := *s
			s.advance()
			s.advance()
			if lo, ok := s.hex4(); ok && lo >= 0xdc00 && lo <= 0xdfff {
				b.WriteRune(utf16.DecodeRune(rune(u), rune(lo)))
				return
			}
			s.line, s.col, s.off = save.line, save.col, save.off
		}
		s.errorf(p, s.pos(), "dsl.syntax.badEscape", "unpaired surrogate \\u%04x in string", u)
		return
	}
	b.WriteRune(rune(u))
}

func (s *scanner) hex4() (int, bool) {
	if s.off+4 > len(s.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.src[s.off:s.off+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	for range 4 {
		s.advance()
	}
	return int(v), true
}

func isLetter(r rune) bool { return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isDigit(r rune) bool  { return '0' <= r && r <= '9' }
