package ir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
)

// Encode returns the canonical bytes of p (RFC 8785).
func Encode(p *Policy) ([]byte, error) { return canon.Marshal(p) }

// Digest returns the canonical bytes of p and their digest.
func Digest(p *Policy) ([]byte, string, error) { return canon.DigestOf(p) }

// Decode reads an IR document. It rejects unknown fields, unknown operators
// and actions, malformed nodes and any irVersion or syntax other than this
// package's, so that Encode(Decode(b)) == b for every canonical b.
func Decode(b []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("ir: %w", err)
	}
	if dec.More() {
		return nil, errors.New("ir: trailing data after document")
	}
	if p.IRVersion != Version {
		return nil, fmt.Errorf("ir: irVersion %d is not supported (this stella reads %d)", p.IRVersion, Version)
	}
	if p.Syntax != Syntax {
		return nil, fmt.Errorf("ir: syntax %q is not %q", p.Syntax, Syntax)
	}
	for i, r := range p.Rules {
		if r.Name == "" {
			return nil, fmt.Errorf("ir: rules[%d]: missing name", i)
		}
		if len(r.Then) == 0 {
			return nil, fmt.Errorf("ir: rules[%d] %s: empty then", i, r.Name)
		}
		if r.Priority != nil && *r.Priority < 0 {
			return nil, fmt.Errorf("ir: rules[%d] %s: negative priority", i, r.Name)
		}
		if r.When.Op == "" {
			return nil, fmt.Errorf("ir: rules[%d] %s: missing when", i, r.Name)
		}
	}
	for i, pr := range p.Profiles {
		for j, env := range pr.Envs {
			for k, e := range env.Entries {
				if e.When.Op == "" {
					return nil, fmt.Errorf("ir: profiles[%d].env[%d].entries[%d]: missing when", i, j, k)
				}
			}
		}
	}
	return &p, nil
}

// ---- Expr ----

type wireExpr struct {
	Op    Op              `json:"op"`
	Value json.RawMessage `json:"value,omitempty"`
	NS    string          `json:"ns,omitempty"`
	Name  string          `json:"name,omitempty"`
	Fn    string          `json:"fn,omitempty"`
	Type  CmpType         `json:"type,omitempty"`
	X     *Expr           `json:"x,omitempty"`
	Args  []Expr          `json:"args,omitempty"`
}

// arity gives, per operator, the allowed number of Args (max -1: unbounded)
// and which scalar fields it carries.
var arity = map[Op]struct {
	min, max      int
	value, ns, nm bool
	fn, typ, hasX bool
	valueKind     string
}{
	OpStr:    {value: true, valueKind: "string"},
	OpNum:    {value: true, valueKind: "number"},
	OpBool:   {value: true, valueKind: "bool"},
	OpNull:   {},
	OpList:   {max: -1},
	OpRef:    {ns: true, nm: true},
	OpElem:   {nm: true},
	OpMember: {nm: true, hasX: true},
	OpIndex:  {min: 1, max: 1, hasX: true},
	OpCall:   {max: -1, fn: true},
	OpNot:    {min: 1, max: 1},
	OpAnd:    {min: 2, max: -1},
	OpOr:     {min: 2, max: -1},
	OpEq:     {min: 2, max: 2, typ: true},
	OpNe:     {min: 2, max: 2, typ: true},
	OpLt:     {min: 2, max: 2, typ: true},
	OpLe:     {min: 2, max: 2, typ: true},
	OpGt:     {min: 2, max: 2, typ: true},
	OpGe:     {min: 2, max: 2, typ: true},
	OpIn:     {min: 2, max: 2, typ: true},
}

var cmpTypes = map[CmpType]bool{CmpAny: true, CmpString: true, CmpNumber: true, CmpBool: true, CmpBand: true, CmpTime: true}

// MarshalJSON writes the node with exactly the fields its operator uses.
func (e Expr) MarshalJSON() ([]byte, error) {
	w := wireExpr{Op: e.Op, NS: e.NS, Name: e.Name, Fn: e.Fn, Type: e.Type, X: e.X, Args: e.Args}
	var err error
	switch e.Op {
	case OpStr:
		w.Value, err = marshalNoEscape(e.Str)
	case OpNum:
		w.Value = []byte(e.Num.String())
	case OpBool:
		w.Value, err = json.Marshal(e.Bool)
	}
	if err != nil {
		return nil, err
	}
	return marshalNoEscape(w)
}

// UnmarshalJSON reads and validates one node.
func (e *Expr) UnmarshalJSON(b []byte) error {
	var w wireExpr
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	a, ok := arity[w.Op]
	if !ok {
		return fmt.Errorf("unknown expression op %q", w.Op)
	}
	if n := len(w.Args); n < a.min || (a.max >= 0 && n > a.max) {
		return fmt.Errorf("op %q: %d args", w.Op, n)
	}
	if (w.Value != nil) != a.value || (w.NS != "") != a.ns || (w.Name != "") != a.nm ||
		(w.Fn != "") != a.fn || (w.Type != "") != a.typ || (w.X != nil) != a.hasX {
		return fmt.Errorf("op %q: malformed node", w.Op)
	}
	if a.typ && !cmpTypes[w.Type] {
		return fmt.Errorf("op %q: unknown comparison type %q", w.Op, w.Type)
	}
	*e = Expr{Op: w.Op, NS: w.NS, Name: w.Name, Fn: w.Fn, Type: w.Type, X: w.X, Args: w.Args}
	switch a.valueKind {
	case "string":
		return json.Unmarshal(w.Value, &e.Str)
	case "bool":
		return json.Unmarshal(w.Value, &e.Bool)
	case "number":
		d, err := decimal.Parse(string(w.Value))
		if err != nil {
			return fmt.Errorf("op num: %w", err)
		}
		e.Num = d
	}
	return nil
}

// ---- Action ----

type wireAction struct {
	Kind           ActionKind `json:"action"`
	Key            string     `json:"key,omitempty"`
	Value          *Expr      `json:"value,omitempty"`
	Message        string     `json:"message,omitempty"`
	Until          *Expr      `json:"until,omitempty"`
	Vendors        *[]string  `json:"vendors,omitempty"`
	Justifications *[]string  `json:"justifications,omitempty"`
}

// MarshalJSON writes the action with the fields its kind uses.
func (a Action) MarshalJSON() ([]byte, error) {
	w := wireAction{Kind: a.Kind, Key: a.Key, Value: a.Value, Message: a.Message, Until: a.Until}
	if a.Vendors != nil {
		w.Vendors = &a.Vendors
	}
	if a.Justifications != nil {
		w.Justifications = &a.Justifications
	}
	return marshalNoEscape(w)
}

// UnmarshalJSON reads and validates one action.
func (a *Action) UnmarshalJSON(b []byte) error {
	var w wireAction
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*a = Action{Kind: w.Kind, Key: w.Key, Value: w.Value, Message: w.Message, Until: w.Until}
	if w.Vendors != nil {
		a.Vendors = nonNil(*w.Vendors)
	}
	if w.Justifications != nil {
		a.Justifications = nonNil(*w.Justifications)
	}
	hasValue, hasKey := w.Value != nil, w.Key != ""
	ok := false
	switch w.Kind {
	case ActStatus, ActSeverity, ActEscalate:
		ok = hasValue && !hasKey && w.Message == "" && w.Until == nil && w.Vendors == nil && w.Justifications == nil
	case ActAnnotate:
		ok = hasValue && hasKey && w.Message == "" && w.Until == nil && w.Vendors == nil && w.Justifications == nil
	case ActWarn:
		ok = !hasValue && !hasKey && w.Until == nil && w.Vendors == nil && w.Justifications == nil
	case ActIgnore:
		ok = !hasValue && !hasKey && w.Message == "" && w.Vendors == nil && w.Justifications == nil
	case ActRequireVex:
		ok = !hasValue && !hasKey && w.Message == "" && w.Until == nil
	default:
		return fmt.Errorf("unknown action %q", w.Kind)
	}
	if !ok {
		return fmt.Errorf("action %q: malformed", w.Kind)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---- Fields and Value ----

// MarshalJSON writes the fields as a JSON object.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalNoEscape(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := f.Value.MarshalJSON()
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object into sorted fields.
func (fs *Fields) UnmarshalJSON(b []byte) error {
	var v Value
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	if v.Kind != ValObject {
		return errors.New("expected an object")
	}
	*fs = v.Fields
	return nil
}

// MarshalJSON writes the value as plain JSON.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case ValString:
		return marshalNoEscape(v.Str)
	case ValNumber:
		return []byte(v.Num.String()), nil
	case ValBool:
		return json.Marshal(v.Bool)
	case ValNull, "":
		return []byte("null"), nil
	case ValList:
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, e := range v.List {
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
	case ValObject:
		return v.Fields.MarshalJSON()
	}
	return nil, fmt.Errorf("unknown value kind %q", v.Kind)
}

// UnmarshalJSON reads any JSON value. Object keys are sorted; duplicates are
// an error.
func (v *Value) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	// JCS rejects duplicate keys and lone surrogates, which the decoder
	// above would silently accept.
	if _, err := canon.Transform(b); err != nil {
		return err
	}
	out, err := fromAny(raw)
	if err != nil {
		return err
	}
	*v = out
	return nil
}

func fromAny(x any) (Value, error) {
	switch t := x.(type) {
	case nil:
		return Value{Kind: ValNull}, nil
	case string:
		return Value{Kind: ValString, Str: t}, nil
	case bool:
		return Value{Kind: ValBool, Bool: t}, nil
	case json.Number:
		d, err := decimal.Parse(t.String())
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: ValNumber, Num: d}, nil
	case []any:
		l := make([]Value, 0, len(t))
		for _, e := range t {
			ev, err := fromAny(e)
			if err != nil {
				return Value{}, err
			}
			l = append(l, ev)
		}
		return Value{Kind: ValList, List: l}, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fs := make(Fields, 0, len(keys))
		for _, k := range keys {
			ev, err := fromAny(t[k])
			if err != nil {
				return Value{}, err
			}
			fs = append(fs, Field{Key: k, Value: ev})
		}
		return Value{Kind: ValObject, Fields: fs}, nil
	}
	return Value{}, fmt.Errorf("unexpected JSON value %T", x)
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
