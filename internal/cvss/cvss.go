// Package cvss owns CVSS scoring: parsing and normalizing v2.0, v3.0, v3.1
// and v4.0 vectors, computing their base, temporal (v2/v3) or threat (v4) and
// environmental scores exactly as the FIRST reference calculators do, and the
// qualitative severity ratings.
//
// The formulas are evaluated in float64 in the same operation order as the
// FIRST JavaScript calculators (cvsscalc30.js, cvsscalc31.js and the v4.0
// calculator's cvss40.js), whose rounding the published scores depend on;
// every product is rounded explicitly so no platform fuses operations, and
// the one-decimal results are returned as exact decimals. v4.0 uses the
// specification's MacroVector lookup table and severity-distance
// interpolation. The conformance test checks every vector of the Red Hat
// cvss test suite.
//
// Vectors are normalized: metrics may come in any order and are written in
// the specification's order, metrics set to "X" (v2: "ND") are dropped, and
// duplicate, unknown or missing mandatory metrics are errors.
package cvss

import (
	"fmt"
	"math"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
)

// Versions.
const (
	V2  = "2.0"
	V30 = "3.0"
	V31 = "3.1"
	V40 = "4.0"
)

// Severity ratings.
const (
	None     = "None"
	Low      = "Low"
	Medium   = "Medium"
	High     = "High"
	Critical = "Critical"
)

// Score is a scored CVSS vector.
type Score struct {
	Version string // V2, V30, V31 or V40
	Vector  string // normalized vector
	Base    decimal.D
	// Temporal is the v2/v3 temporal score (equal to Base when no temporal
	// metric is given); nil for v4.
	Temporal *decimal.D
	// Threat is the v4 score of the base and threat metrics; nil for v2/v3.
	Threat *decimal.D
	// Environmental is the score with every metric group applied.
	Environmental decimal.D
	// Score is the most specific score: Environmental when the vector sets
	// an environmental metric, else Temporal/Threat when it sets one of
	// those, else Base.
	Score decimal.D
	// Severity is the rating of Score: None, Low, Medium, High, Critical
	// for v3 and v4; Low, Medium, High for v2 (NVD's v2 bands).
	Severity string
}

// Parse scores a vector, choosing the version from its prefix: "CVSS:4.0/",
// "CVSS:3.1/", "CVSS:3.0/", or none for v2 ("AV:N/AC:L/Au:N/…", also in
// NVD's parenthesized form or with a "CVSS:2.0/" prefix). A v3 vector
// without a prefix is rejected: whether it is 3.0 or 3.1 changes the score;
// use ParseVersion when the version is known from elsewhere.
func Parse(vector string) (*Score, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		return parse4(v[len("CVSS:4.0/"):], vector)
	case strings.HasPrefix(v, "CVSS:3.1/"):
		return parse3(V31, v[len("CVSS:3.1/"):], vector)
	case strings.HasPrefix(v, "CVSS:3.0/"):
		return parse3(V30, v[len("CVSS:3.0/"):], vector)
	case strings.HasPrefix(v, "CVSS:2.0/"):
		return parse2(v[len("CVSS:2.0/"):], vector)
	case strings.HasPrefix(v, "CVSS:"):
		ver, _, _ := strings.Cut(v[len("CVSS:"):], "/")
		return nil, fmt.Errorf("cvss: %q: unsupported CVSS version %q", vector, ver)
	case strings.HasPrefix(v, "(") && strings.HasSuffix(v, ")"):
		return parse2(v[1:len(v)-1], vector)
	case strings.Contains("/"+v, "/Au:"):
		return parse2(v, vector)
	}
	if v == "" {
		return nil, fmt.Errorf("cvss: empty vector")
	}
	return nil, fmt.Errorf("cvss: %q: missing version prefix (CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/)", vector)
}

// ParseVersion scores a vector whose version is known from its context (for
// example a CycloneDX rating method), with or without its prefix. A prefix
// that names another version is an error.
func ParseVersion(version, vector string) (*Score, error) {
	v := strings.TrimSpace(vector)
	if strings.HasPrefix(v, "CVSS:") || version == V2 {
		s, err := Parse(v)
		if err != nil {
			return nil, err
		}
		if s.Version != version {
			return nil, fmt.Errorf("cvss: %q: CVSS %s vector where %s was expected", vector, s.Version, version)
		}
		return s, nil
	}
	switch version {
	case V30, V31:
		return parse3(version, v, vector)
	case V40:
		return parse4(v, vector)
	}
	return nil, fmt.Errorf("cvss: unsupported CVSS version %q", version)
}

// Rating returns the v3/v4 qualitative severity of a score.
func Rating(score decimal.D) string {
	switch {
	case score <= 0:
		return None
	case score < decimal.MustParse("4"):
		return Low
	case score < decimal.MustParse("7"):
		return Medium
	case score < decimal.MustParse("9"):
		return High
	}
	return Critical
}

// rating2 returns NVD's v2 severity of a score.
func rating2(score decimal.D) string {
	switch {
	case score < decimal.MustParse("4"):
		return Low
	case score < decimal.MustParse("7"):
		return Medium
	}
	return High
}

// metric describes one metric of a version: its abbreviation and allowed
// values, the first of which is the "not defined" value where there is one.
type metric struct {
	name      string
	values    []string
	mandatory bool
}

// values holds a parsed vector: the value of each metric of the version's
// table, by index; "" for a metric not given.
type values []string

// split parses "K:V/K:V/…" against the metric table and returns the values
// and the normalized vector body.
func split(body, vector string, table []metric, undefined string) (values, string, error) {
	vals := make(values, len(table))
	if body == "" {
		return nil, "", fmt.Errorf("cvss: %q: no metrics", vector)
	}
	for _, part := range strings.Split(body, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok || k == "" || v == "" {
			return nil, "", fmt.Errorf("cvss: %q: malformed metric %q (want NAME:VALUE)", vector, part)
		}
		i := index(table, k)
		if i < 0 {
			return nil, "", fmt.Errorf("cvss: %q: unknown metric %q", vector, k)
		}
		if vals[i] != "" {
			return nil, "", fmt.Errorf("cvss: %q: duplicate metric %q", vector, k)
		}
		if !contains(table[i].values, v) {
			return nil, "", fmt.Errorf("cvss: %q: invalid value %q for metric %s (want one of %s)", vector, v, k, strings.Join(table[i].values, ", "))
		}
		vals[i] = v
	}
	var b strings.Builder
	for i, m := range table {
		if vals[i] == "" {
			if m.mandatory {
				return nil, "", fmt.Errorf("cvss: %q: missing mandatory metric %s", vector, m.name)
			}
			continue
		}
		if vals[i] == undefined {
			vals[i] = ""
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(m.name)
		b.WriteByte(':')
		b.WriteString(vals[i])
	}
	return vals, b.String(), nil
}

func index(table []metric, name string) int {
	for i, m := range table {
		if m.name == name {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// anySet reports whether any metric in vals[from:to] is given.
func (v values) anySet(from, to int) bool {
	for _, x := range v[from:to] {
		if x != "" {
			return true
		}
	}
	return false
}

// mul multiplies with an explicit rounding, so that no compiler fuses it
// with a following addition (Go permits fused multiply-add otherwise) and
// results are the same on every platform.
func mul(a, b float64) float64 { return float64(a * b) }

// round1 rounds half up to one decimal, as JavaScript's
// Math.round(x*10)/10 does.
func round1(x float64) float64 {
	return math.Floor(mul(x, 10)+0.5) / 10
}

// dec converts a score that is already a multiple of 0.1 to an exact
// decimal.
func dec(x float64) decimal.D {
	return decimal.D(int64(math.Round(mul(x, 10))) * (decimal.Scale / 10))
}

func ptr(d decimal.D) *decimal.D { return &d }
