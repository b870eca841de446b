package version

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// versSchemes maps vers versioning schemes (purl types, plus "semver") to
// the ecosystem whose ordering they use.
var versSchemes = map[string]string{
	"alpine": "Alpine", "apk": "Alpine", "cargo": "crates.io", "composer": "Packagist",
	"cran": "CRAN", "deb": "Debian", "debian": "Debian", "gem": "RubyGems",
	"github": "SEMVER", "golang": "Go", "hackage": "Hackage", "hex": "Hex",
	"maven": "Maven", "npm": "npm", "nuget": "NuGet", "pub": "Pub", "pypi": "PyPI",
	"rpm": "Red Hat", "semver": "SEMVER", "swift": "SEMVER",
}

// constraint is one "<comparator><version>" of a vers range.
type constraint struct {
	op string // "=", "!=", "<", "<=", ">", ">="
	v  V
}

// InVers reports whether version ver is contained in the vers range r
// ("vers:npm/>=1.0.0|<2.0.0", "vers:deb/1.2-1", "vers:maven/*"), with the
// containment rules of the vers specification: an equal "=" constraint
// contains it and an equal "!=" excludes it; otherwise the remaining
// constraints, sorted, form intervals (a leading "<"/"<=", a trailing
// ">"/">=", and each ">"/">=" followed by "<"/"<=") that must contain it. A
// range of only "!=" constraints contains every other version. The scheme
// chooses the ordering.
func InVers(r, ver string) (bool, error) {
	rest, ok := strings.CutPrefix(r, "vers:")
	if !ok {
		return false, fmt.Errorf("invalid vers range %q: want vers:<scheme>/<constraints>", r)
	}
	scheme, body, ok := strings.Cut(rest, "/")
	if !ok || body == "" {
		return false, fmt.Errorf("invalid vers range %q: missing constraints", r)
	}
	eco, ok := versSchemes[strings.ToLower(scheme)]
	if !ok {
		return false, fmt.Errorf("invalid vers range %q: unsupported versioning scheme %q", r, scheme)
	}
	if strings.TrimSpace(body) == "*" {
		return true, nil
	}
	v, err := Parse(eco, ver)
	if err != nil {
		return false, err
	}
	var ranges []constraint
	onlyNotEqual := true
	for _, part := range strings.Split(body, "|") {
		c, err := parseConstraint(eco, strings.TrimSpace(part))
		if err != nil {
			return false, fmt.Errorf("invalid vers range %q: %v", r, err)
		}
		cmp, err := v.Compare(c.v)
		if err != nil {
			return false, err
		}
		switch c.op {
		case "=":
			onlyNotEqual = false
			if cmp == 0 {
				return true, nil
			}
		case "!=":
			if cmp == 0 {
				return false, nil
			}
		default:
			onlyNotEqual = false
			ranges = append(ranges, c)
		}
	}
	if onlyNotEqual {
		return true, nil
	}
	var serr error
	slices.SortStableFunc(ranges, func(a, b constraint) int {
		c, err := a.v.Compare(b.v)
		if err != nil && serr == nil {
			serr = err
		}
		return c
	})
	if serr != nil {
		return false, serr
	}
	sat := func(c constraint) bool {
		cmp, _ := v.Compare(c.v) // same ecosystem: cannot fail after the loop above
		switch c.op {
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		}
		return cmp >= 0
	}
	lower := func(c constraint) bool { return c.op == ">" || c.op == ">=" }
	for i, c := range ranges {
		if i == 0 && !lower(c) && sat(c) {
			return true, nil
		}
		if i == len(ranges)-1 && lower(c) && sat(c) {
			return true, nil
		}
		if i+1 < len(ranges) && lower(c) && !lower(ranges[i+1]) && sat(c) && sat(ranges[i+1]) {
			return true, nil
		}
	}
	return false, nil
}

func parseConstraint(eco, s string) (constraint, error) {
	var c constraint
	for _, op := range []string{">=", "<=", "!=", "<", ">", "="} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			c.op, s = op, rest
			break
		}
	}
	if c.op == "" {
		c.op = "="
	}
	raw, err := url.PathUnescape(strings.TrimSpace(s))
	if err != nil || raw == "" {
		return c, fmt.Errorf("invalid constraint %q", s)
	}
	if c.v, err = Parse(eco, raw); err != nil {
		return c, err
	}
	return c, nil
}
