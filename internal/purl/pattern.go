package purl

import "strings"

// PatternMatch matches a purl pattern (an exception's or a policy scope's)
// against a component purl, returning how specifically: 3 for an exact
// version, 2 for the package without a version, 1 for a glob, 0 for no
// match. Qualifiers and subpath of the component are ignored; a pattern
// without "@" matches every version. "*" matches any run of characters.
func PatternMatch(pattern, p string) int {
	target := p
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	hasVersion := strings.Contains(pattern[strings.LastIndexByte(pattern, '/')+1:], "@")
	if !hasVersion {
		if i := strings.LastIndexByte(target, '@'); i > strings.LastIndexByte(target, '/') {
			target = target[:i]
		}
	}
	switch {
	case strings.Contains(pattern, "*"):
		if glob(pattern, target) {
			return 1
		}
	case pattern == target && hasVersion:
		return 3
	case pattern == target:
		return 2
	}
	return 0
}

// glob matches s against a pattern where "*" is any run of characters.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		j := strings.Index(s, part)
		if j < 0 {
			return false
		}
		s = s[j+len(part):]
	}
	return true
}

// globMark stands in for "*" while a pattern is parsed: letters and digits
// only, which no type's name rules change or percent-encode.
const globMark = "0stellaglob0"

// CanonicalPattern returns a purl pattern spelled as component purls are
// (Parse, String: lower-case type, the type's name rules, percent-encoding),
// "*" kept where it was written, so that "pkg:pypi/Django" or
// "pkg:npm/@babel/*" match the components they name rather than nothing
// (docs/dsl.md "Exceptions", docs/governance.md "Policy sets"). A pattern
// that does not parse as a purl with its globs taken as letters, or that
// carries qualifiers or a subpath, is returned as written.
func CanonicalPattern(pattern string) string {
	if strings.Contains(strings.ToLower(pattern), globMark) {
		return pattern
	}
	p, err := Parse(strings.ReplaceAll(pattern, "*", globMark))
	if err != nil || len(p.Qualifiers) > 0 || p.Subpath != "" {
		return pattern
	}
	return strings.ReplaceAll(p.String(), globMark, "*")
}
