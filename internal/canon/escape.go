package canon

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendEscape decodes the JSON escape sequence at in[pos] (a backslash)
// onto buf, and returns buf, the position after the sequence and the rune it
// stood for. A \u surrogate must be a valid high/low pair; ok is false for
// a malformed or truncated sequence. The hand-written decoders (Transform,
// the OSV reader) share it so that they unescape strings identically.
func AppendEscape(buf, in []byte, pos int) (_ []byte, next int, r rune, ok bool) {
	if pos+1 >= len(in) {
		return buf, pos, 0, false
	}
	e := in[pos+1]
	pos += 2
	switch e {
	case '"', '\\', '/':
		r = rune(e)
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		if r, ok = hex4(in, pos); !ok {
			return buf, pos, 0, false
		}
		pos += 4
		if utf16.IsSurrogate(r) {
			if r > 0xDBFF || pos+1 >= len(in) || in[pos] != '\\' || in[pos+1] != 'u' {
				return buf, pos, 0, false
			}
			lo, ok := hex4(in, pos+2)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return buf, pos, 0, false
			}
			pos += 6
			r = utf16.DecodeRune(r, lo)
		}
	default:
		return buf, pos, 0, false
	}
	return utf8.AppendRune(buf, r), pos, r, true
}

// hex4 reads four hex digits at in[pos].
func hex4(in []byte, pos int) (rune, bool) {
	if pos+4 > len(in) {
		return 0, false
	}
	var r rune
	for _, b := range in[pos : pos+4] {
		switch {
		case '0' <= b && b <= '9':
			r = r<<4 | rune(b-'0')
		case 'a' <= b && b <= 'f':
			r = r<<4 | rune(b-'a'+10)
		case 'A' <= b && b <= 'F':
			r = r<<4 | rune(b-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
