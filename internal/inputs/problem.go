package inputs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/fail"
)

// Problem is one thing wrong with (or worth knowing about) an input, located
// as precisely as the reader knows: the file (for a directory or zip, the
// member path after the input path), the line and column (1-based, columns in
// runes) and the RFC 6901 JSON pointer of the offending value.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	Msg     string `json:"message"`
}

// String formats p as "file:line:col: /pointer: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.Pointer != "" {
		b.WriteString(shortPointer(p.Pointer))
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// shortPointer abbreviates a pointer too long to read (deeply nested input).
func shortPointer(p string) string {
	const most = 80
	if len(p) <= most {
		return p
	}
	cut := strings.LastIndexByte(p[:most], '/')
	return p[:cut] + "/…"
}

// maxShown is how many problems an Error message lists before "N more".
const maxShown = 5

// Error is a rejected input: one or more problems. It has kind fail.Invalid
// (exit code 2) when wrapped by Read.
type Error struct {
	Problems []Problem `json:"problems"`
	Hint     string    `json:"hint,omitempty"` // what the user can do, e.g. "use --skip-invalid"
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "\n(%d more problems)", len(e.Problems)-maxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	if e.Hint != "" {
		b.WriteString("\n")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// invalid wraps problems as an exit-2 error.
func invalid(hint string, ps ...Problem) error {
	return fail.Wrap(fail.Invalid, &Error{Problems: ps, Hint: hint})
}

// doc is the text of one JSON (or CSV/YAML) file being read, with what is
// needed to turn byte offsets into positions. Leading whitespace is skipped
// while streaming and never buffered; skipLines/skipCol account for it.
type doc struct {
	name      string
	data      []byte
	skipLines int // newlines in the skipped leading whitespace
	skipCol   int // runes after the last skipped newline
	gz        bool
}

// pos returns the 1-based line and column of byte offset off in d.data.
func (d *doc) pos(off int) (line, col int) {
	off = min(max(off, 0), len(d.data))
	head := d.data[:off]
	nl := bytes.Count(head, []byte{'\n'})
	line = d.skipLines + nl + 1
	last := bytes.LastIndexByte(head, '\n')
	col = utf8.RuneCount(head[last+1:]) + 1
	if nl == 0 {
		col += d.skipCol
	}
	return line, col
}

// at returns a problem at byte offset off, with the JSON pointer there.
func (d *doc) at(off int, format string, args ...any) Problem {
	line, col := d.pos(off)
	return Problem{File: d.name, Line: line, Col: col, Pointer: shortPointer(pointerAt(d.data, off)), Msg: fmt.Sprintf(format, args...)}
}

// atPointer returns a problem at the value named by the JSON pointer ptr,
// or, for a missing member, at the nearest enclosing value that exists.
func (d *doc) atPointer(ptr, format string, args ...any) Problem {
	p := Problem{File: d.name, Pointer: ptr, Msg: fmt.Sprintf(format, args...)}
	for at := ptr; ; {
		if off := offsetOf(d.data, at); off >= 0 {
			p.Line, p.Col = d.pos(off)
			return p
		}
		i := strings.LastIndexByte(at, '/')
		if i < 0 {
			return p
		}
		at = at[:i]
	}
}

// jsonProblem turns an encoding/json error into a positioned problem.
func (d *doc) jsonProblem(err error) Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		if strings.Contains(se.Error(), "unexpected end") {
			end := len(bytes.TrimRight(d.data, " \t\r\n"))
			return d.at(end, "invalid JSON: unexpected end of input (truncated file?)")
		}
		return d.at(int(se.Offset)-1, "invalid JSON: %s", se.Error())
	case errors.As(err, &te):
		// Offset is just past the offending value; point inside it.
		want := te.Type.String()
		switch te.Type.Kind() {
		case reflect.Struct, reflect.Map:
			want = "object"
		case reflect.Slice, reflect.Array:
			want = "array"
		case reflect.Int, reflect.Int64, reflect.Float64:
			want = "number"
		}
		p := d.at(int(te.Offset)-1, "expected %s, found %s", want, te.Value)
		if off := offsetOf(d.data, p.Pointer); off >= 0 {
			p.Line, p.Col = d.pos(off) // the start of the value, not its end
		}
		return p
	}
	return Problem{File: d.name, Msg: err.Error()}
}

// checkText rejects text that is not UTF-8 or that nests JSON arrays and
// objects deeper than maxDepth, before any decoder sees it: encoding/json
// would silently replace invalid UTF-8 and only stop nesting at 10,000
// levels.
func (d *doc) checkText(maxDepth int) error {
	b := d.data
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, n := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return invalid("", d.at(off, "invalid UTF-8 (byte 0x%02x); inputs must be UTF-8 text", b[off]))
	}
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			if depth > maxDepth {
				return invalid("", d.at(i, "nesting deeper than %d levels", maxDepth))
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// frame is one open container while scanning JSON text for positions.
type frame struct {
	obj     bool
	key     string // current member name (objects)
	idx     int    // current element index (arrays)
	started bool   // a member value or element has started
}

// walkJSON scans JSON text structurally and calls visit at the start of every
// value with the pointer segments leading to it; visit returns false to
// stop. It tolerates malformed text (it is used to locate errors).
func walkJSON(b []byte, visit func(path []string, start int) bool) {
	var stack []frame
	path := func() []string {
		segs := make([]string, 0, len(stack))
		for _, f := range stack {
			if !f.started {
				break
			}
			if f.obj {
				segs = append(segs, f.key)
			} else {
				segs = append(segs, strconv.Itoa(f.idx))
			}
		}
		return segs
	}
	expectKey := false
	valueStart := func(i int) bool {
		if n := len(stack); n > 0 {
			stack[n-1].started = true
		}
		return visit(path(), i)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			j := i + 1
			for esc := false; j < len(b); j++ {
				if esc {
					esc = false
				} else if b[j] == '\\' {
					esc = true
				} else if b[j] == '"' {
					break
				}
			}
			if expectKey && len(stack) > 0 {
				var k string
				if err := json.Unmarshal(b[i:min(j+1, len(b))], &k); err != nil {
					k = string(b[i+1 : min(j, len(b))])
				}
				stack[len(stack)-1].key = k
				expectKey = false
			} else if !valueStart(i) {
				return
			}
			i = j
		case '{', '[':
			if !valueStart(i) {
				return
			}
			stack = append(stack, frame{obj: c == '{'})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			if n := len(stack); n > 0 {
				f := &stack[n-1]
				f.started = false
				if f.obj {
					expectKey = true
				} else {
					f.idx++
				}
			}
		case ':':
			expectKey = false
		default:
			if !valueStart(i) {
				return
			}
			for i+1 < len(b) && !strings.ContainsRune(" \t\n\r,:]}\"[{", rune(b[i+1])) {
				i++
			}
		}
	}
}

// pointerAt returns the JSON pointer of the innermost value starting at or
// before byte offset off.
func pointerAt(b []byte, off int) string {
	var last []string
	walkJSON(b, func(path []string, start int) bool {
		if start > off {
			return false
		}
		last = path
		return true
	})
	return formatPointer(last)
}

// offsetOf returns the byte offset where the value named by ptr starts, or -1.
func offsetOf(b []byte, ptr string) int {
	off := -1
	walkJSON(b, func(path []string, start int) bool {
		if formatPointer(path) == ptr {
			off = start
			return false
		}
		return true
	})
	return off
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// formatPointer joins segments as an RFC 6901 JSON pointer.
func formatPointer(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(s))
	}
	return b.String()
}

// ptr builds a JSON pointer from segments of any printable type.
func ptr(segs ...any) string {
	ss := make([]string, len(segs))
	for i, s := range segs {
		ss[i] = fmt.Sprint(s)
	}
	return formatPointer(ss)
}
