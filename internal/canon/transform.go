package canon

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// canonicalize is a one-pass RFC 8785 transform: it writes each value's
// canonical text as it parses, and reorders an object's members in place
// once they are written. It accepts exactly what jcs.Transform accepts and
// writes the same bytes; anything it is unsure of (malformed text, a
// duplicate key, a number that is not a short integer is handed to
// jcs.NumberToJSON) makes it report !ok so that Transform asks jcs, whose
// result and error messages are the reference. FuzzTransform checks the
// two agree.
func canonicalize(in []byte) (out []byte, ok bool) {
	c := &canonicalizer{in: in, out: make([]byte, 0, len(in))}
	if !c.value() {
		return nil, false
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, false
	}
	return c.out, true
}

// maxDepth is jcs's nesting limit; deeper text is refused by both.
const maxDepth = 10000

type canonicalizer struct {
	in    []byte
	pos   int
	out   []byte
	depth int
	// members holds the members of the objects being written, innermost
	// last; each object uses members[base:].
	members []member
	order   []member // scratch for reordering members
	tmp     []byte
}

// member is one written object member: its decoded key (for sorting) and
// where its "key":value text is in out.
type member struct {
	key        []byte
	ascii      bool
	start, end int
}

func (c *canonicalizer) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\n', '\r', '\t':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicalizer) value() bool {
	c.space()
	if c.pos >= len(c.in) {
		return false
	}
	switch c.in[c.pos] {
	case '{':
		return c.object()
	case '[':
		return c.array()
	case '"':
		c.pos++
		s, ascii, ok := c.str()
		if ok {
			c.quote(s, ascii)
		}
		return ok
	}
	return c.scalar()
}

func (c *canonicalizer) array() bool {
	if c.depth++; c.depth > maxDepth {
		return false
	}
	c.pos++
	c.out = append(c.out, '[')
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
	} else {
		for {
			if !c.value() {
				return false
			}
			c.space()
			if c.pos >= len(c.in) {
				return false
			}
			if c.in[c.pos] == ']' {
				c.pos++
				break
			}
			if c.in[c.pos] != ',' {
				return false
			}
			c.pos++
			c.out = append(c.out, ',')
		}
	}
	c.out = append(c.out, ']')
	c.depth--
	return true
}

func (c *canonicalizer) object() bool {
	if c.depth++; c.depth > maxDepth {
		return false
	}
	c.pos++
	c.out = append(c.out, '{')
	base := len(c.members)
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
	} else {
		for {
			c.space()
			if c.pos >= len(c.in) || c.in[c.pos] != '"' {
				return false
			}
			c.pos++
			if len(c.members) > base {
				c.out = append(c.out, ',')
			}
			start := len(c.out)
			key, ascii, ok := c.str()
			if !ok {
				return false
			}
			c.quote(key, ascii)
			c.space()
			if c.pos >= len(c.in) || c.in[c.pos] != ':' {
				return false
			}
			c.pos++
			c.out = append(c.out, ':')
			if !c.value() {
				return false
			}
			c.members = append(c.members, member{key: key, ascii: ascii, start: start, end: len(c.out)})
			c.space()
			if c.pos >= len(c.in) {
				return false
			}
			if c.in[c.pos] == '}' {
				c.pos++
				break
			}
			if c.in[c.pos] != ',' {
				return false
			}
			c.pos++
		}
	}
	if !c.sortMembers(c.members[base:]) {
		return false
	}
	c.members = c.members[:base]
	c.out = append(c.out, '}')
	c.depth--
	return true
}

// sortMembers puts the written members ms in UTF-16 key order; a duplicate
// key is refused.
func (c *canonicalizer) sortMembers(ms []member) bool {
	sorted := true
	for i := 1; i < len(ms) && sorted; i++ {
		sorted = compareKeys(&ms[i-1], &ms[i]) < 0
	}
	if sorted {
		return true
	}
	c.order = append(c.order[:0], ms...)
	order := c.order
	slices.SortFunc(order, func(a, b member) int { return compareKeys(&a, &b) })
	for i := 1; i < len(order); i++ {
		if compareKeys(&order[i-1], &order[i]) == 0 {
			return false
		}
	}
	// Member i's text (without its comma) is out[ms[i].start:ms[i].end];
	// rewrite the region in key order.
	off := ms[0].start
	c.tmp = append(c.tmp[:0], c.out[off:ms[len(ms)-1].end]...)
	w := off
	for i, m := range order {
		if i > 0 {
			c.out[w] = ','
			w++
		}
		w += copy(c.out[w:], c.tmp[m.start-off:m.end-off])
	}
	return true
}

// compareKeys orders keys by their UTF-16 code units (RFC 8785 §3.2.3).
// For ASCII keys that is byte order.
func compareKeys(a, b *member) int {
	if a.ascii && b.ascii {
		return bytes.Compare(a.key, b.key)
	}
	x, y := a.key, b.key
	for len(x) > 0 && len(y) > 0 {
		r1, n1 := utf8.DecodeRune(x)
		r2, n2 := utf8.DecodeRune(y)
		if r1 != r2 {
			u1, l1 := utf16.EncodeRune(r1)
			u2, l2 := utf16.EncodeRune(r2)
			if u1 == utf8.RuneError { // not a surrogate pair: one unit
				u1, l1 = r1, 0
			}
			if u2 == utf8.RuneError {
				u2, l2 = r2, 0
			}
			if u1 != u2 {
				return int(u1) - int(u2)
			}
			return int(l1) - int(l2)
		}
		x, y = x[n1:], y[n2:]
	}
	return len(x) - len(y)
}

// str reads a string after its opening quote and returns its decoded bytes
// (a slice of the input when it has no escapes) and whether it is ASCII.
func (c *canonicalizer) str() (s []byte, ascii, ok bool) {
	start := c.pos
	ascii = true
	for c.pos < len(c.in) {
		b := c.in[c.pos]
		switch {
		case b == '"':
			s = c.in[start:c.pos]
			c.pos++
			return s, ascii, true
		case b == '\\':
			return c.escaped(start, ascii)
		case b < 0x20:
			return nil, false, false
		case b < utf8.RuneSelf:
			c.pos++
		default:
			r, n := utf8.DecodeRune(c.in[c.pos:])
			if r == utf8.RuneError && n <= 1 {
				return nil, false, false
			}
			ascii = false
			c.pos += n
		}
	}
	return nil, false, false
}

// escaped finishes a string whose escape-free prefix starts at start,
// decoding escapes into a new buffer.
func (c *canonicalizer) escaped(start int, ascii bool) (s []byte, _ bool, ok bool) {
	buf := append([]byte(nil), c.in[start:c.pos]...)
	for c.pos < len(c.in) {
		b := c.in[c.pos]
		switch {
		case b == '"':
			c.pos++
			return buf, ascii, true
		case b == '\\':
			var r rune
			var ok bool
			if buf, c.pos, r, ok = AppendEscape(buf, c.in, c.pos); !ok {
				return nil, false, false
			}
			if r >= utf8.RuneSelf {
				ascii = false
			}
		case b < 0x20:
			return nil, false, false
		case b < utf8.RuneSelf:
			buf = append(buf, b)
			c.pos++
		default:
			r, n := utf8.DecodeRune(c.in[c.pos:])
			if r == utf8.RuneError && n <= 1 {
				return nil, false, false
			}
			ascii = false
			buf = append(buf, c.in[c.pos:c.pos+n]...)
			c.pos += n
		}
	}
	return nil, false, false
}

// quote writes s as a canonical string: only '"', '\\' and control
// characters are escaped, the short forms where JSON has them.
func (c *canonicalizer) quote(s []byte, ascii bool) {
	c.out = append(c.out, '"')
	last := 0
	for i, b := range s {
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		c.out = append(c.out, s[last:i]...)
		last = i + 1
		switch b {
		case '"', '\\':
			c.out = append(c.out, '\\', b)
		case '\b':
			c.out = append(c.out, '\\', 'b')
		case '\f':
			c.out = append(c.out, '\\', 'f')
		case '\n':
			c.out = append(c.out, '\\', 'n')
		case '\r':
			c.out = append(c.out, '\\', 'r')
		case '\t':
			c.out = append(c.out, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			c.out = append(c.out, '\\', 'u', '0', '0', hex[b>>4], hex[b&15])
		}
	}
	c.out = append(c.out, s[last:]...)
	c.out = append(c.out, '"')
}

// scalar reads a literal or a number up to the next structural character
// or whitespace, as jcs does.
func (c *canonicalizer) scalar() bool {
	start := c.pos
	for c.pos < len(c.in) {
		b := c.in[c.pos]
		if b == ',' || b == ']' || b == '}' || b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			break
		}
		if b >= utf8.RuneSelf {
			return false
		}
		c.pos++
	}
	tok := c.in[start:c.pos]
	switch string(tok) {
	case "true", "false", "null":
		c.out = append(c.out, tok...)
		return true
	case "-0":
		c.out = append(c.out, '0')
		return true
	}
	// A short integer is its own canonical form; anything else goes to
	// jcs's ECMAScript formatting.
	digits := tok
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && len(digits) > 1 {
		return c.number(tok)
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return c.number(tok)
		}
	}
	c.out = append(c.out, tok...)
	return true
}

// number formats a JSON number the ECMAScript way (via jcs.NumberToJSON).
func (c *canonicalizer) number(tok []byte) bool {
	if !isNumber(tok) {
		return false
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return false
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return false
	}
	c.out = append(c.out, s...)
	return true
}

// isNumber matches the RFC 8259 number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}
