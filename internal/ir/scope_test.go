package ir

import (
	"slices"
	"testing"
)

// A scope's purl patterns are compared as component purls are spelled:
// "pkg:pypi/Requests" covered no component (pkg:pypi/requests), so a policy
// scoped to it gated nothing and a set run passed (docs/governance.md
// "Policy sets").
func TestPolicyScopeCanonicalPurls(t *testing.T) {
	list := func(xs ...string) Value {
		v := Value{Kind: ValList}
		for _, x := range xs {
			v.List = append(v.List, Value{Kind: ValString, Str: x})
		}
		return v
	}
	md := Fields{{Key: "scope", Value: Value{Kind: ValObject, Fields: Fields{
		{Key: "purls", Value: list("pkg:pypi/Requests", "pkg:NPM/@babel/*", "pkg:pypi/requests")}}}}}
	s, err := PolicyScope(md)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pkg:npm/%40babel/*", "pkg:pypi/requests"}; !slices.Equal(s.Purls, want) {
		t.Fatalf("purls %v, want %v", s.Purls, want)
	}
}
