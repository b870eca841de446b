// Package policyset owns policy sets (docs/governance.md "Policy sets"):
// which policies of a set apply to a run and a finding (scopes and
// enforcement modes from the policies' metadata), the combined verdict of a
// set, and the analyses across policies computed from IR and metadata only —
// conflicts (SCOPE_OVERLAP, THRESHOLD_CONTRADICTION, TEMPORAL_CONFLICT,
// PRIORITY_OVERRIDE) and the dependency graph.
package policyset

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/purl"
)

// EnvMatches reports whether a run's env (keys lower-cased) satisfies the
// scope's env selectors.
func EnvMatches(s ir.Scope, env map[string]string) bool {
	for _, e := range s.Env {
		v, ok := env[e.Key]
		if !ok || !slices.Contains(e.Values, v) {
			return false
		}
	}
	return true
}

// ComponentMatches reports whether a component — its purl, tags (with its
// SBOM's document tags) and OSV ecosystem — is in the scope.
func ComponentMatches(s ir.Scope, p string, tags []string, ecosystem string) bool {
	if len(s.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool { return slices.Contains(tags, t) }) {
		return false
	}
	if len(s.Purls) > 0 && !slices.ContainsFunc(s.Purls, func(pat string) bool { return purl.PatternMatch(pat, p) > 0 }) {
		return false
	}
	if len(s.Ecosystems) > 0 && !slices.ContainsFunc(s.Ecosystems, func(e string) bool { return ecoCovers(e, ecosystem) }) {
		return false
	}
	return true
}

// ecoCovers: a scope ecosystem names the finding's ecosystem (any case), or
// its base when the scope names no release ("Debian" covers "Debian:12").
func ecoCovers(scope, eco string) bool {
	return strings.EqualFold(scope, eco) || !strings.Contains(scope, ":") && strings.EqualFold(scope, purl.Base(eco))
}

// Tri is a three-valued answer: No and Yes are proven, Maybe is what the
// analysis cannot decide.
type Tri int

// Answers.
const (
	No Tri = iota
	Maybe
	Yes
)

// Overlap decides whether some run and finding can be in both scopes
// (docs/governance.md "Overlap"). Yes is proven by a witness, No by
// disjoint selectors; anything else is Maybe.
func Overlap(a, b ir.Scope) Tri {
	for _, ea := range a.Env {
		for _, eb := range b.Env {
			if ea.Key == eb.Key && !slices.ContainsFunc(ea.Values, func(v string) bool { return slices.Contains(eb.Values, v) }) {
				return No
			}
		}
	}
	// Tags never separate two scopes: one component may carry both tags.
	if len(a.Ecosystems) > 0 && len(b.Ecosystems) > 0 && !slices.ContainsFunc(a.Ecosystems, func(x string) bool {
		return slices.ContainsFunc(b.Ecosystems, func(y string) bool { return ecoCovers(x, y) || ecoCovers(y, x) })
	}) {
		return No
	}
	if len(a.Purls) == 0 && len(b.Purls) == 0 {
		return Yes
	}
	// A witness purl from either side's patterns that both scopes accept.
	for _, pat := range slices.Concat(a.Purls, b.Purls) {
		w := strings.ReplaceAll(pat, "*", "x")
		eco := ""
		if p, err := purl.Parse(w); err == nil {
			eco, _, _ = purl.OSV(p)
		}
		if purlsAccept(a, w) && purlsAccept(b, w) && ecosAccept(a, eco) && ecosAccept(b, eco) {
			return Yes
		}
	}
	if len(a.Purls) > 0 && len(b.Purls) > 0 && !slices.ContainsFunc(a.Purls, func(x string) bool {
		return slices.ContainsFunc(b.Purls, func(y string) bool { return patternsMayMeet(x, y) })
	}) {
		return No
	}
	if !ecosMayAccept(a, b) || !ecosMayAccept(b, a) {
		return No
	}
	return Maybe
}

func purlsAccept(s ir.Scope, w string) bool {
	return len(s.Purls) == 0 || slices.ContainsFunc(s.Purls, func(pat string) bool { return purl.PatternMatch(pat, w) > 0 })
}

func ecosAccept(s ir.Scope, eco string) bool {
	return len(s.Ecosystems) == 0 || eco != "" && slices.ContainsFunc(s.Ecosystems, func(e string) bool { return ecoCovers(e, eco) })
}

// ecosMayAccept is false when every purl pattern of a has a literal type
// of a language ecosystem that b's ecosystems exclude.
func ecosMayAccept(a, b ir.Scope) bool {
	if len(a.Purls) == 0 || len(b.Ecosystems) == 0 {
		return true
	}
	for _, pat := range a.Purls {
		typ, _, _ := strings.Cut(strings.TrimPrefix(pat, "pkg:"), "/")
		eco, ok := purl.TypeEcosystem(typ)
		if strings.Contains(typ, "*") || !ok || ecosAccept(b, eco) {
			return true
		}
	}
	return false
}

// patternsMayMeet is false only when no purl can match both patterns: two
// globs whose literal prefixes disagree, or two exact patterns naming
// different packages or versions.
func patternsMayMeet(x, y string) bool {
	gx, gy := strings.Contains(x, "*"), strings.Contains(y, "*")
	if !gx && !gy {
		nx, vx, hx := splitVersion(x)
		ny, vy, hy := splitVersion(y)
		return nx == ny && (!hx || !hy || vx == vy)
	}
	px, _, _ := strings.Cut(x, "*")
	py, _, _ := strings.Cut(y, "*")
	return strings.HasPrefix(px, py) || strings.HasPrefix(py, px)
}

// Contains reports whether every run and finding in inner is certainly in
// outer (docs/governance.md "Containment"); false when it cannot tell.
func Contains(outer, inner ir.Scope) bool {
	for _, eo := range outer.Env {
		i := slices.IndexFunc(inner.Env, func(e ir.EnvSelector) bool { return e.Key == eo.Key })
		if i < 0 || !allIn(inner.Env[i].Values, eo.Values) {
			return false
		}
	}
	if len(outer.Tags) > 0 && (len(inner.Tags) == 0 || !allIn(inner.Tags, outer.Tags)) {
		return false
	}
	if len(outer.Ecosystems) > 0 && (len(inner.Ecosystems) == 0 || !slices.ContainsFunc(inner.Ecosystems, func(e string) bool {
		return slices.ContainsFunc(outer.Ecosystems, func(o string) bool { return ecoCovers(o, e) })
	})) {
		return false
	}
	if len(outer.Purls) > 0 {
		if len(inner.Purls) == 0 {
			return false
		}
		for _, ip := range inner.Purls {
			if !slices.ContainsFunc(outer.Purls, func(op string) bool { return patternCovers(op, ip) }) {
				return false
			}
		}
	}
	return true
}

// patternCovers: every purl inner matches, outer matches too — the same
// pattern, outer is inner without its version, or outer is a prefix glob
// (one trailing "*") that inner's literal start begins with.
func patternCovers(outer, inner string) bool {
	if outer == inner {
		return true
	}
	if n, _, ok := splitVersion(inner); ok && !strings.Contains(inner, "*") && n == outer {
		return true
	}
	if strings.Count(outer, "*") == 1 && strings.HasSuffix(outer, "*") {
		lit, _, _ := strings.Cut(inner, "*")
		return strings.HasPrefix(lit, strings.TrimSuffix(outer, "*"))
	}
	return false
}

// splitVersion cuts a purl pattern at the "@" of its version (after the
// last "/", so a namespace "@scope" is not one).
func splitVersion(p string) (name, version string, ok bool) {
	i := strings.LastIndexByte(p, '@')
	if i < 0 || i < strings.LastIndexByte(p, '/') {
		return p, "", false
	}
	return p[:i], p[i+1:], true
}

func allIn(xs, ys []string) bool {
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			return false
		}
	}
	return true
}
