package report

import (
	"bytes"
	"encoding/json"

	"github.com/stella-policy/stella/internal/canon"
)

// indenter encodes values as json.Encoder with SetEscapeHTML(false) and
// SetIndent does, without encoding/json's indenting pass: that pass runs
// the full JSON scanner over the encoder's output byte by byte and was half
// of the cost of writing a result (docs/performance.md, "What profiling
// found and removed"). The encoder's output is valid JSON without
// whitespace outside strings, so a pass that only tracks strings gives the
// same bytes (FuzzIndent holds the two equal).
type indenter struct {
	prefix, indent string
	compact        bytes.Buffer
	enc            *json.Encoder
	out            []byte
}

func newIndenter(prefix, indent string) *indenter {
	x := &indenter{prefix: prefix, indent: indent}
	x.enc = json.NewEncoder(&x.compact)
	x.enc.SetEscapeHTML(false)
	return x
}

// encode returns v's indented JSON, without a final newline; the bytes are
// valid until the next call.
func (x *indenter) encode(v any) ([]byte, error) {
	var err error
	x.out, err = x.appendTo(x.out[:0], v)
	return x.out, err
}

// appendTo appends v's indented JSON, without a final newline, to dst.
func (x *indenter) appendTo(dst []byte, v any) ([]byte, error) {
	x.compact.Reset()
	if err := x.enc.Encode(v); err != nil {
		return dst, err
	}
	b := bytes.TrimSuffix(x.compact.Bytes(), []byte("\n"))
	if x.prefix == "" && x.indent == "" {
		return append(dst, b...), nil // json.Encoder does not indent then
	}
	return appendIndented(dst, b, x.prefix, x.indent), nil
}

// appendIndented appends src — JSON as encoding/json writes it, with no
// whitespace outside strings — indented as json.Indent would: a newline,
// prefix and one indent per level before each element and member and
// before a closing bracket, "{}" and "[]" for empty ones, ": " after a key.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	depth, open := 0, false
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if open && c != '}' && c != ']' {
			open = false
			depth++
			newline()
		}
		switch c {
		case '"':
			j := i + 1
			for j < len(src) {
				if j = canon.PlainRun(src, j); j == len(src) || src[j] == '"' {
					break
				}
				if src[j] != '\\' {
					j++ // not ASCII: part of the string's text
					continue
				}
				j += 2 // an escape and the character it escapes
			}
			j = min(j, len(src)-1)
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			open = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				newline()
			}
			dst = append(dst, c)
		case ' ', '\t', '\n', '\r':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
