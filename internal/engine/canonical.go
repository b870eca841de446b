package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
)

// appendCanonical appends the RFC 8785 canonical JSON of v: the bytes
// canon.Marshal produces, written directly from the Go value instead of by
// re-parsing encoding/json output, which is an order of magnitude faster on
// the large results and traces the engine digests. It handles the types of
// this package (structs with json tags, pointers, slices, strings, bools,
// integers, Val, decimal.D); TestCanonicalMatchesCanon holds it to
// canon.Marshal.
func appendCanonical(b []byte, v any) ([]byte, error) {
	return appendValue(b, reflect.ValueOf(v))
}

// CanonicalJSON returns the bytes canon.Marshal(v) returns for a value of
// this package's types (a Finding, an Explain, a Result…), encoded the fast
// way the engine digests them: for callers that store what the engine
// digested (internal/store).
func CanonicalJSON(v any) ([]byte, error) {
	return appendCanonical(nil, v)
}

var (
	valType     = reflect.TypeFor[Val]()
	decimalType = reflect.TypeFor[decimal.D]()
	marshaler   = reflect.TypeFor[json.Marshaler]()
)

func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	switch t := v.Type(); {
	case t == valType:
		if v.CanAddr() {
			return appendVal(b, *v.Addr().Interface().(*Val))
		}
		return appendVal(b, v.Interface().(Val))
	case t == decimalType:
		return append(b, decimal.D(v.Int()).String()...), nil
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && implementsMarshaler(t):
		raw, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil, err
		}
		c, err := canon.Transform(raw)
		if err != nil {
			return nil, err
		}
		return append(b, c...), nil
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
		return appendString(b, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	}
	return nil, fmt.Errorf("canonical json: unsupported type %s", v.Type())
}

var marshalers sync.Map // reflect.Type → bool

// implementsMarshaler reports whether t has its own MarshalJSON; those
// values are written by it and then canonicalized.
func implementsMarshaler(t reflect.Type) bool {
	if ok, found := marshalers.Load(t); found {
		return ok.(bool)
	}
	ok := t.Implements(marshaler)
	marshalers.Store(t, ok)
	return ok
}

func appendVal(b []byte, v Val) ([]byte, error) {
	switch v.K {
	case KStr:
		return appendString(b, v.S), nil
	case KNum:
		return append(b, v.N.String()...), nil
	case KBool:
		return strconv.AppendBool(b, v.B), nil
	case KList:
		b = append(b, '[')
		for i, e := range v.L {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendVal(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case KStmt:
		b = append(b, `{"statementId":`...)
		b = appendString(b, v.Stmt.ID)
		b = append(b, `,"status":`...)
		b = appendString(b, v.Stmt.Status)
		return append(b, '}'), nil
	}
	return append(b, "null"...), nil
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
		fs = append(fs, field{name: name, quoted: append(appendString(nil, name), ':'), index: i,
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

// appendString writes s as an RFC 8785 string: `"` and `\` escaped, the
// control characters as \b \t \n \f \r or \u00xx, everything else as is.
// Invalid UTF-8 becomes U+FFFD, as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
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
