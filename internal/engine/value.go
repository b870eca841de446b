package engine

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
)

// Kind is the dynamic type of a Val.
type Kind uint8

// Value kinds. KNull is the zero Val: missing data is null.
const (
	KNull Kind = iota
	KStr
	KNum
	KBool
	KList
	KStmt // a VEX statement (vex.latest())
)

// Val is a runtime value of a policy expression.
type Val struct {
	K    Kind
	S    string
	N    decimal.D
	B    bool
	L    []Val
	Stmt *model.VEXStatement
}

// Null is the missing value.
var Null = Val{}

// Str, Num and Bool build values.
func Str(s string) Val    { return Val{K: KStr, S: s} }
func Num(n decimal.D) Val { return Val{K: KNum, N: n} }
func Bool(b bool) Val     { return Val{K: KBool, B: b} }
func List(l []Val) Val    { return Val{K: KList, L: l} }
func stmtVal(s *model.VEXStatement) Val {
	if s == nil {
		return Null
	}
	return Val{K: KStmt, Stmt: s}
}

// Truthy reports whether v is the boolean true. Anything else, null
// included, is false: a condition over missing data does not hold.
func (v Val) Truthy() bool { return v.K == KBool && v.B }

// AppendCanonical appends v's canonical JSON for canon.Append: what
// canonicalizing MarshalJSON's output gives, written directly.
func (v Val) AppendCanonical(b []byte) ([]byte, error) {
	switch v.K {
	case KStr:
		return canon.AppendString(b, v.S), nil
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
			if b, err = e.AppendCanonical(b); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case KStmt:
		b = append(b, `{"statementId":`...)
		b = canon.AppendString(b, v.Stmt.ID)
		b = append(b, `,"status":`...)
		b = canon.AppendString(b, v.Stmt.Status)
		return append(b, '}'), nil
	}
	return append(b, "null"...), nil
}

// MarshalJSON writes v as plain JSON; a statement is written as its id.
func (v Val) MarshalJSON() ([]byte, error) {
	switch v.K {
	case KStr:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v.S); err != nil {
			return nil, err
		}
		return bytes.TrimRight(buf.Bytes(), "\n"), nil
	case KNum:
		return []byte(v.N.String()), nil
	case KBool:
		if v.B {
			return []byte("true"), nil
		}
		return []byte("false"), nil
	case KList:
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, e := range v.L {
			if i > 0 {
				buf.WriteByte(',')
			}
			b, err := e.MarshalJSON()
			if err != nil {
				return nil, err
			}
			buf.Write(b)
		}
		buf.WriteByte(']')
		return buf.Bytes(), nil
	case KStmt:
		return json.Marshal(map[string]string{"statementId": v.Stmt.ID, "status": v.Stmt.Status})
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads plain JSON back (statements come back as their id).
func (v *Val) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	out, err := fromJSON(raw)
	if err != nil {
		return err
	}
	*v = out
	return nil
}

func fromJSON(x any) (Val, error) {
	switch t := x.(type) {
	case string:
		return Str(t), nil
	case bool:
		return Bool(t), nil
	case json.Number:
		d, err := decimal.Parse(t.String())
		if err != nil {
			return Null, err
		}
		return Num(d), nil
	case []any:
		l := make([]Val, len(t))
		for i, e := range t {
			ev, err := fromJSON(e)
			if err != nil {
				return Null, err
			}
			l[i] = ev
		}
		return List(l), nil
	case map[string]any:
		id, _ := t["statementId"].(string)
		st, _ := t["status"].(string)
		return stmtVal(&model.VEXStatement{ID: id, Status: st}), nil
	}
	return Null, nil
}

// String renders v for messages and tables.
func (v Val) String() string {
	switch v.K {
	case KStr:
		return v.S
	case KNum:
		return v.N.String()
	case KBool:
		if v.B {
			return "true"
		}
		return "false"
	case KList:
		parts := make([]string, len(v.L))
		for i, e := range v.L {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case KStmt:
		return v.Stmt.ID
	}
	return "null"
}
