package ir

import (
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
)

func sample() *Policy {
	five := 5
	return &Policy{
		IRVersion: Version, Syntax: Syntax, PolicyID: "Baseline <&> Policy",
		Metadata: Fields{
			{Key: "description", Value: Value{Kind: ValString, Str: "d"}},
			{Key: "tags", Value: Value{Kind: ValList, List: []Value{{Kind: ValString, Str: "a"}}}},
		},
		Settings: Fields{{Key: "shadow", Value: Value{Kind: ValBool, Bool: true}}},
		Profiles: []Profile{{
			Name: "severity",
			Maps: []Map{{Name: "vendor_weight", Entries: []MapEntry{{Key: "source", Match: "GHSA", Delta: decimal.MustParse("0.5")}}}},
			Envs: []Env{{Name: "exposure", Entries: []EnvEntry{{
				When:  Expr{Op: OpEq, Type: CmpString, Args: []Expr{{Op: OpRef, NS: "env", Name: "exposure"}, {Op: OpStr, Str: "internet"}}},
				Delta: decimal.MustParse("-1.0"),
			}}}},
		}},
		Rules: []Rule{{
			Name: "block_critical", Priority: &five,
			When: Expr{Op: OpAnd, Args: []Expr{
				{Op: OpGe, Type: CmpBand, Args: []Expr{{Op: OpRef, NS: "severity", Name: "normalized"}, {Op: OpStr, Str: "Critical"}}},
				{Op: OpCall, Fn: "vex.any", Args: []Expr{{Op: OpIn, Type: CmpString, Args: []Expr{{Op: OpElem, Name: "status"}, {Op: OpList, Args: []Expr{{Op: OpStr, Str: "fixed"}}}}}}},
				{Op: OpNot, Args: []Expr{{Op: OpBool, Bool: false}}},
				{Op: OpMember, Name: "statementId", X: &Expr{Op: OpCall, Fn: "vex.latest"}},
				{Op: OpNe, Type: CmpAny, Args: []Expr{{Op: OpNull}, {Op: OpNum, Num: decimal.MustParse("7.5")}}},
			}},
			Then: []Action{
				{Kind: ActStatus, Value: &Expr{Op: OpStr, Str: "blocked"}},
				{Kind: ActWarn},
				{Kind: ActRequireVex, Vendors: []string{"VendorX"}},
				{Kind: ActIgnore, Until: &Expr{Op: OpStr, Str: "2026-01-01T00:00:00Z"}},
				{Kind: ActAnnotate, Key: "k", Value: &Expr{Op: OpStr, Str: ""}},
			},
			Because: "because",
		}},
	}
}

func TestRoundTrip(t *testing.T) {
	b, d, err := Digest(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"policyId":"Baseline <&> Policy"`) {
		t.Errorf("HTML escaping or key missing: %s", b)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	b2, d2, err := Digest(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) || d != d2 {
		t.Errorf("re-encode differs:\n%s\n%s", b, b2)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(sample())
	tests := []struct{ name, from, to string }{
		{"version", `"irVersion":1`, `"irVersion":2`},
		{"syntax", `"syntax":"stella-dsl@1"`, `"syntax":"stella-dsl@2"`},
		{"unknown op", `"op":"not"`, `"op":"nope"`},
		{"unknown field", `"because":"because"`, `"because":"because","x":1`},
		{"unknown action", `"action":"warn"`, `"action":"shout"`},
		{"bad cmp type", `"type":"band"`, `"type":"weird"`},
		{"malformed action", `{"action":"warn"}`, `{"action":"warn","key":"k"}`},
		{"duplicate metadata key", `"tags":["a"]`, `"tags":["a"],"tags":1`},
	}
	for _, tt := range tests {
		bad := strings.Replace(string(good), tt.from, tt.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: substitution did not apply", tt.name)
		}
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
