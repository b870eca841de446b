package ir

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/purl"
)

// Scope is what a policy applies to when it is evaluated in a set: the
// metadata key `scope` (docs/governance.md "Policy sets"). Every dimension
// that is given must hold; within one dimension any listed value will do. An
// absent scope (every dimension empty) is the whole tenant.
type Scope struct {
	Env        []EnvSelector // by key; the run's --env value for Key must be one of Values
	Tags       []string      // the component (with its SBOM's document tags) carries one of them
	Purls      []string      // the component purl matches one of these patterns (purl.CanonicalPattern)
	Ecosystems []string      // the component's OSV ecosystem is one of them (case-insensitive)
}

// EnvSelector constrains one --env key (lower-cased) to a set of values.
type EnvSelector struct {
	Key    string
	Values []string // sorted, deduplicated
}

// All reports whether the scope is the whole tenant.
func (s Scope) All() bool {
	return len(s.Env) == 0 && len(s.Tags) == 0 && len(s.Purls) == 0 && len(s.Ecosystems) == 0
}

// String is the scope in the metadata notation, "all" for the whole tenant.
func (s Scope) String() string {
	if s.All() {
		return "all"
	}
	var parts []string
	for _, e := range s.Env {
		parts = append(parts, "env."+e.Key+" in ["+strings.Join(e.Values, ", ")+"]")
	}
	if len(s.Tags) > 0 {
		parts = append(parts, "tags ["+strings.Join(s.Tags, ", ")+"]")
	}
	if len(s.Purls) > 0 {
		parts = append(parts, "purls ["+strings.Join(s.Purls, ", ")+"]")
	}
	if len(s.Ecosystems) > 0 {
		parts = append(parts, "ecosystems ["+strings.Join(s.Ecosystems, ", ")+"]")
	}
	return strings.Join(parts, " and ")
}

// Enforcement modes of a policy in a set (metadata key `enforcement`).
const (
	EnforceEnforce  = "enforce"  // its verdicts count (the default)
	EnforceWarn     = "warn"     // its blocks count as warnings
	EnforceAudit    = "audit"    // evaluated and traced (shadow), never counts
	EnforceDisabled = "disabled" // not evaluated
)

// EnforcementModes lists the modes, strictest first.
var EnforcementModes = []string{EnforceEnforce, EnforceWarn, EnforceAudit, EnforceDisabled}

// ScopeKeys are the keys a scope object may hold.
var ScopeKeys = []string{"ecosystems", "env", "purls", "tags"}

// PolicyScope reads the scope from a policy's metadata. Errors name the
// place inside the value ("scope.env.stage: …").
func PolicyScope(md Fields) (Scope, error) {
	var s Scope
	v, ok := md.Get("scope")
	if !ok {
		return s, nil
	}
	if v.Kind != ValObject {
		return s, fmt.Errorf("scope must be an object {env = {…}, tags = […], purls = […], ecosystems = […]}, got %s", v.Kind)
	}
	for _, f := range v.Fields {
		var err error
		switch f.Key {
		case "env":
			if f.Value.Kind != ValObject {
				return s, fmt.Errorf("scope.env must be an object of env keys to a value or a list of values, got %s", f.Value.Kind)
			}
			for _, e := range f.Value.Fields {
				vals, err := stringList("scope.env."+e.Key, e.Value, true)
				if err != nil {
					return s, err
				}
				key := strings.ToLower(e.Key)
				if i := slices.IndexFunc(s.Env, func(x EnvSelector) bool { return x.Key == key }); i >= 0 {
					return s, fmt.Errorf("scope.env.%s: env keys are case-insensitive and %s is given twice", e.Key, key)
				}
				s.Env = append(s.Env, EnvSelector{Key: key, Values: vals})
			}
			slices.SortFunc(s.Env, func(a, b EnvSelector) int { return strings.Compare(a.Key, b.Key) })
		case "tags":
			s.Tags, err = stringList("scope.tags", f.Value, false)
		case "purls":
			s.Purls, err = stringList("scope.purls", f.Value, false)
			for i, p := range s.Purls {
				if !PurlPattern(p) {
					return s, fmt.Errorf("scope.purls: %s is not a purl pattern (pkg:TYPE/…, * matches any run of characters)", Quote(p))
				}
				s.Purls[i] = purl.CanonicalPattern(p) // compared as component purls are spelled
			}
			slices.Sort(s.Purls)
			s.Purls = slices.Compact(s.Purls)
		case "ecosystems":
			s.Ecosystems, err = stringList("scope.ecosystems", f.Value, false)
		default:
			return s, fmt.Errorf("scope.%s: unknown scope key (known: %s)", f.Key, strings.Join(ScopeKeys, ", "))
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// stringList reads a non-empty list of non-empty strings (or, with one, a
// single string), sorted and deduplicated.
func stringList(path string, v Value, one bool) ([]string, error) {
	var out []string
	switch {
	case one && v.Kind == ValString:
		out = []string{v.Str}
	case v.Kind == ValList:
		for _, x := range v.List {
			if x.Kind != ValString {
				return nil, fmt.Errorf("%s must be a list of strings, got a %s in it", path, x.Kind)
			}
			out = append(out, x.Str)
		}
	default:
		want := "a list of strings"
		if one {
			want = "a string or a list of strings"
		}
		return nil, fmt.Errorf("%s must be %s, got %s", path, want, v.Kind)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty: it would match nothing (leave the key out to match everything)", path)
	}
	for _, s := range out {
		if s == "" {
			return nil, fmt.Errorf("%s: an empty string matches nothing", path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// PolicyEnforcement reads the enforcement mode from a policy's metadata:
// EnforceEnforce when absent. settings.shadow = true makes a policy audit
// (shadow) whatever its metadata says.
func PolicyEnforcement(p *Policy) (string, error) {
	mode := EnforceEnforce
	if v, ok := p.Metadata.Get("enforcement"); ok {
		if v.Kind != ValString || !slices.Contains(EnforcementModes, v.Str) {
			return "", fmt.Errorf("enforcement must be one of %s", strings.Join(EnforcementModes, ", "))
		}
		mode = v.Str
	}
	if v, ok := p.Settings.Get("shadow"); ok && v.Kind == ValBool && v.Bool && mode != EnforceDisabled {
		mode = EnforceAudit
	}
	return mode, nil
}

// PurlPattern reports whether p is a purl pattern that names a package
// type: "pkg:TYPE/…" with a literal TYPE ("pkg:npm/lodash",
// "pkg:maven/org.apache/*"). "pkg:*" or "pkg:*/x" would match every
// package of every ecosystem: a blanket scope (docs/dsl.md "Exceptions").
func PurlPattern(p string) bool {
	typ, _, ok := strings.Cut(strings.TrimPrefix(p, "pkg:"), "/")
	return strings.HasPrefix(p, "pkg:") && ok && typ != "" && !strings.Contains(typ, "*")
}
