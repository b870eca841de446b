package canon

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Appender is a type that writes its own canonical JSON (engine values,
// decimals); Append calls it instead of encoding the value.
type Appender interface {
	AppendCanonical(b []byte) ([]byte, error)
}

// Append appends the RFC 8785 canonical JSON of v: the bytes Marshal
// produces, written directly from the Go value instead of by re-parsing
// encoding/json output, which is an order of magnitude faster on large
// values (an engine result, its traces). It handles structs with json
// tags, pointers, slices, strings, bools, integers, Appenders, and
// json.Marshalers (whose output is canonicalized); maps and floats are not
// supported — use Marshal. TestAppendMatchesMarshal (and the engine's
// TestCanonicalMatchesCanon on a whole result) hold it to Marshal.
func Append(b []byte, v any) ([]byte, error) {
	return appendValue(b, reflect.ValueOf(v))
}

var (
	appender  = reflect.TypeFor[Appender]()
	marshaler = reflect.TypeFor[json.Marshaler]()
)

func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	if k := v.Kind(); k != reflect.Pointer && k != reflect.Interface {
		switch encoderOf(v.Type()) {
		case byAppender:
			if v.CanAddr() {
				// A pointer in an interface does not allocate; a copy of
				// the value would.
				return v.Addr().Interface().(Appender).AppendCanonical(b)
			}
			return v.Interface().(Appender).AppendCanonical(b)
		case byMarshaler:
			raw, err := v.Interface().(json.Marshaler).MarshalJSON()
			if err != nil {
				return nil, err
			}
			c, err := Transform(raw)
			if err != nil {
				return nil, err
			}
			return append(b, c...), nil
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, v.Elem())
	case reflect.Struct:
		return appendStruct(b, v)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		fallthrough
	case reflect.Array:
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case reflect.String:
		return AppendString(b, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	}
	return nil, fmt.Errorf("canonical json: unsupported type %s", v.Type())
}

// encoder says how Append writes a value of a type that is not a pointer
// or interface: by reflection, by its AppendCanonical, or by canonicalizing
// its MarshalJSON output.
type encoder uint8

const (
	byReflection encoder = iota
	byAppender
	byMarshaler
)

var encoders sync.Map // reflect.Type → encoder

func encoderOf(t reflect.Type) encoder {
	if t.NumMethod() == 0 {
		return byReflection // most values: no method, so neither interface
	}
	if e, ok := encoders.Load(t); ok {
		return e.(encoder)
	}
	e := byReflection
	switch {
	case t.Implements(appender):
		e = byAppender
	case t.Implements(marshaler):
		e = byMarshaler
	}
	encoders.Store(t, e)
	return e
}

// field is one JSON member of a struct type.
type field struct {
	name      string
	quoted    []byte // `"name":`
	index     int
	omitEmpty bool
}

var structFields sync.Map // reflect.Type → []field, in canonical key order

func fieldsOf(t reflect.Type) []field {
	if fs, ok := structFields.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		fs = append(fs, field{name: name, quoted: append(AppendString(nil, name), ':'), index: i,
			omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty")})
	}
	// RFC 8785 orders keys by their UTF-16 code units.
	slices.SortFunc(fs, func(a, b field) int {
		return slices.Compare(utf16.Encode([]rune(a.name)), utf16.Encode([]rune(b.name)))
	})
	structFields.Store(t, fs)
	return fs
}

func appendStruct(b []byte, v reflect.Value) ([]byte, error) {
	b = append(b, '{')
	first := true
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.quoted...)
		var err error
		if b, err = appendValue(b, fv); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// AppendString appends s as an RFC 8785 string: `"` and `\` escaped, the
// control characters as \b \t \n \f \r or \u00xx, everything else as is.
// Invalid UTF-8 becomes U+FFFD, as encoding/json writes it.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// A run of bytes written as they are, appended at once.
		j := i
		for j < len(s) && plain[s[j]] {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			if i = j; i == len(s) {
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c >= 0x20:
				b = append(b, c)
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c == '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// Plain reports whether c stands for itself inside a JSON string, escaped
// or not: printable ASCII other than a quote or a backslash. Scanners and
// writers of strings cross runs of such bytes at once.
func Plain(c byte) bool { return plain[c] }

// PlainRun returns the end of the run of Plain bytes of b that starts at
// i, testing eight bytes at a time as one word.
func PlainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		// A byte of 0 in quote or backslash, one under 0x20 in x, or one
		// with its high bit set (not ASCII) ends the run in this word.
		if (quote-ones)&^quote&highs|(backslash-ones)&^backslash&highs|(x-ones*0x20)&^x&highs|x&highs != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
