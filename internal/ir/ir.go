// Package ir owns the compiled form of a stella-dsl@1 policy: its types, its
// canonical JSON encoding and its digest.
//
// The IR is the only thing the engine, the store and bundles know about a
// policy. It holds no positions (those live in a SourceMap beside it), no Go
// maps, and rules in evaluation order, so that the canonical bytes, and hence
// the digest, depend only on the meaning of the policy: comments, layout and
// the declaration order of rules never change them. See docs/ir.md.
package ir

import (
	"github.com/stella-policy/stella/internal/decimal"
)

// Version is the irVersion written into every IR document. It changes on any
// incompatible change to the encoding.
const Version = 1

// Syntax is the only policy syntax this IR version describes.
const Syntax = "stella-dsl@1"

// Policy is a compiled policy.
type Policy struct {
	IRVersion int       `json:"irVersion"`
	Syntax    string    `json:"syntax"`
	PolicyID  string    `json:"policyId"` // the name in the policy header
	Metadata  Fields    `json:"metadata"`
	Settings  Fields    `json:"settings"`
	Profiles  []Profile `json:"profiles"` // sorted by name
	Rules     []Rule    `json:"rules"`    // in evaluation order: priority, then name
}

// Profile is a named table of adjustments (`profile severity { … }`).
type Profile struct {
	Name    string `json:"name"`
	Maps    []Map  `json:"maps"`    // source order
	Envs    []Env  `json:"env"`     // source order
	Scalars Fields `json:"scalars"` // key order
}

// Map is `map NAME { KEY "MATCH" => DELTA … }`.
type Map struct {
	Name    string     `json:"name"`
	Entries []MapEntry `json:"entries"`
}

// MapEntry is one `source "GHSA" => +0.5` line: Key is the selector word
// ("source"), Match the quoted value and Delta the signed adjustment.
type MapEntry struct {
	Key   string    `json:"key"`
	Match string    `json:"match"`
	Delta decimal.D `json:"delta"`
}

// Env is `env NAME { if COND then DELTA … }`.
type Env struct {
	Name    string     `json:"name"`
	Entries []EnvEntry `json:"entries"`
}

// EnvEntry is one `if COND then DELTA` line.
type EnvEntry struct {
	When  Expr      `json:"when"`
	Delta decimal.D `json:"delta"`
}

// Rule is one rule. Priority is nil when the source gives none; such rules run
// after every rule that has one.
type Rule struct {
	Name     string   `json:"name"`
	Priority *int     `json:"priority,omitempty"`
	When     Expr     `json:"when"`
	Then     []Action `json:"then"`
	Else     []Action `json:"else,omitempty"`
	Because  string   `json:"because"`
}

// ActionKind names an action.
type ActionKind string

// The actions (docs/ir.md "Actions").
const (
	ActStatus     ActionKind = "status"     // status := Value
	ActSeverity   ActionKind = "severity"   // severity := Value
	ActAnnotate   ActionKind = "annotate"   // annotate Key := Value
	ActWarn       ActionKind = "warn"       // warn [message Message]
	ActEscalate   ActionKind = "escalate"   // escalate to Value
	ActRequireVex ActionKind = "requireVex" // requireVex { vendors = …, justifications = … }
	ActIgnore     ActionKind = "ignore"     // ignore [until Until]
)

// Action is one action of a rule's then or else branch. Which fields are used
// depends on Kind; the encoder writes only those.
type Action struct {
	Kind           ActionKind
	Key            string   // annotate
	Value          *Expr    // status, severity, annotate, escalate
	Message        string   // warn; empty when absent
	Until          *Expr    // ignore; nil when absent
	Vendors        []string // requireVex; nil when absent (any vendor)
	Justifications []string // requireVex; nil when absent (any justification)
}

// Op names an expression node.
type Op string

// Expression operators. Literals: OpStr (Str), OpNum (Num), OpBool (Bool),
// OpNull, OpList (Args). References: OpRef is a namespace field (NS, Name:
// severity.normalized, env.exposure); OpElem is a field of the element in
// scope inside a predicate argument (`status` in vex.any(status == "fixed"));
// OpMember reads Name from the value of X (vex.latest().statementId);
// OpIndex is X[Args[0]]. OpCall calls Fn ("severity_band", "sbom.has_tag",
// "vex.any") with Args. Logic: OpNot (Args[0]), OpAnd and OpOr (two or more
// Args, flattened). Comparisons take two Args and a Type saying how the
// operands compare.
const (
	OpStr    Op = "str"
	OpNum    Op = "num"
	OpBool   Op = "bool"
	OpNull   Op = "null"
	OpList   Op = "list"
	OpRef    Op = "ref"
	OpElem   Op = "elem"
	OpMember Op = "member"
	OpIndex  Op = "index"
	OpCall   Op = "call"
	OpNot    Op = "not"
	OpAnd    Op = "and"
	OpOr     Op = "or"
	OpEq     Op = "eq"
	OpNe     Op = "ne"
	OpLt     Op = "lt"
	OpLe     Op = "le"
	OpGt     Op = "gt"
	OpGe     Op = "ge"
	OpIn     Op = "in"
)

// CmpType says how a comparison treats its operands, as decided by the
// checker from their static types.
type CmpType string

// Comparison types. CmpBand orders severity bands (None < Low < Medium < High
// < Critical) and compares their names case-insensitively; CmpTime compares
// RFC 3339 instants; CmpAny compares by dynamic type (equality only).
const (
	CmpAny    CmpType = "any"
	CmpString CmpType = "string"
	CmpNumber CmpType = "number"
	CmpBool   CmpType = "bool"
	CmpBand   CmpType = "band"
	CmpTime   CmpType = "time"
)

// Expr is an expression node, a tagged union on Op.
type Expr struct {
	Op   Op
	Str  string    // OpStr
	Num  decimal.D // OpNum
	Bool bool      // OpBool
	NS   string    // OpRef
	Name string    // OpRef, OpElem, OpMember
	Fn   string    // OpCall
	Type CmpType   // comparisons
	X    *Expr     // OpMember, OpIndex
	Args []Expr    // OpList, OpCall, OpNot, OpAnd, OpOr, comparisons, OpIndex
}

// Fields is an ordered key/value list, encoded as a JSON object. Keys are
// unique and kept sorted.
type Fields []Field

// Field is one key/value pair of Fields.
type Field struct {
	Key   string
	Value Value
}

// Get returns the value for key and whether it is present.
func (fs Fields) Get(key string) (Value, bool) {
	for _, f := range fs {
		if f.Key == key {
			return f.Value, true
		}
	}
	return Value{}, false
}

// ValueKind is the kind of a literal Value.
type ValueKind string

// Literal value kinds.
const (
	ValString ValueKind = "string"
	ValNumber ValueKind = "number"
	ValBool   ValueKind = "bool"
	ValNull   ValueKind = "null"
	ValList   ValueKind = "list"
	ValObject ValueKind = "object"
)

// Value is a literal in metadata, settings and profile scalars. It encodes as
// the plain JSON value.
type Value struct {
	Kind   ValueKind
	Str    string
	Num    decimal.D
	Bool   bool
	List   []Value
	Fields Fields
}

// SourceMap relates a compiled policy back to its source. It is written
// beside the IR, never inside it, so positions do not affect the digest.
type SourceMap struct {
	File   string       `json:"file"`
	Digest string       `json:"digest"` // digest of the IR this map belongs to
	Rules  []RuleSource `json:"rules"`  // same order as Policy.Rules
}

// RuleSource is the source of one rule.
type RuleSource struct {
	Name     string `json:"name"`
	Span     Span   `json:"span"`
	When     Span   `json:"when"`
	WhenText string `json:"whenText"` // the condition exactly as written
	Then     []Span `json:"then"`
	Else     []Span `json:"else,omitempty"`
}

// Pos is a 1-based line and column (columns count runes).
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Span is a half-open source range.
type Span struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}
