package version

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/model"
)

// Outcome is the result of evaluating one OSV affected entry against one
// component version.
type Outcome struct {
	Affected bool
	// Range describes what matched, for explain output: the interval of the
	// range that contains the version ("ECOSYSTEM >=1.0.0 <1.2.3",
	// "SEMVER >=0 <=2.0.0", "ECOSYSTEM >=3.1.0") or the versions-list entry
	// ("versions 1.2.0").
	Range string
	// GitRanges counts GIT ranges, which are ignored: they order commits,
	// not versions.
	GitRanges int
	// Problems lists what could not be evaluated (an unparsable event
	// version, an ecosystem without an ordering), one message each; a range
	// with a problem is skipped, never guessed.
	Problems []string
}

// Evaluate reports whether version ver of a component in ecosystem eco is
// affected according to a, with OSV semantics:
//
//   - ver is affected when any SEMVER or ECOSYSTEM range of a contains it
//     (Range then describes that range's interval), or when it equals an
//     entry of a.Versions (Range "versions X");
//   - a range's events are sorted by version ("introduced: 0" first); walking
//     them in order, introduced ≤ ver opens the range, and fixed ≤ ver,
//     last_affected < ver or limit ≤ ver closes it; the state after the last
//     event decides. Events of equal version sort fixed/limit, then
//     introduced, then last_affected, so adjacent intervals [a,b) [b,c)
//     contain b and "introduced X, last_affected X" is exactly X;
//   - SEMVER ranges use SemVer 2.0 ordering, ECOSYSTEM ranges eco's ordering;
//     GIT ranges are counted and ignored.
//
// The comparators order any string, so a component version that does not
// have the shape of a version of eco (Check) may still fall in a range
// ("introduced: 0"); when it falls in none, that is a problem, not a silent
// "not affected".
//
// Versions-list entries are compared as strings, except that a leading "v"
// is ignored for Go and SEMVER-ordered packages ("v1.2.3" is "1.2.3").
func Evaluate(eco, ver string, a *model.Affected) Outcome {
	return (*Cache)(nil).Evaluate(eco, ver, a)
}

// Cache memoizes parsed versions across evaluations, which matters when
// many components are matched against the same advisories. A nil *Cache
// parses every time. It is not safe for concurrent use.
type Cache struct {
	m map[cacheKey]cached
}

type cacheKey struct{ order, s string }

type cached struct {
	v     V
	err   error
	valid bool // Check found s a version of the ecosystem
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: map[cacheKey]cached{}} }

// Parse is Parse through the cache; order is an ecosystem or "SEMVER".
func (c *Cache) Parse(order, s string) (V, error) {
	if c == nil {
		return Parse(order, s)
	}
	base, _, _ := strings.Cut(order, ":")
	k := cacheKey{base, s}
	if e, ok := c.m[k]; ok {
		return e.v, e.err
	}
	v, err := Parse(base, s)
	c.m[k] = cached{v, err, Check(base, s) == nil}
	return v, err
}

// valid is Check through the cache, for a version Parse has seen.
func (c *Cache) valid(order, s string) bool {
	base, _, _ := strings.Cut(order, ":")
	if c == nil {
		return Check(base, s) == nil
	}
	if _, ok := c.m[cacheKey{base, s}]; !ok {
		c.Parse(order, s)
	}
	return c.m[cacheKey{base, s}].valid
}

// Evaluate is Evaluate with parsed versions taken from the cache.
func (c *Cache) Evaluate(eco, ver string, a *model.Affected) Outcome {
	var out Outcome
	var parsed [2]*V // by comparator: 0 SEMVER, 1 ECOSYSTEM
	var perr [2]error
	for i := range a.Ranges {
		r := &a.Ranges[i]
		var k int
		var order string
		switch r.Type {
		case "GIT":
			out.GitRanges++
			continue
		case "SEMVER":
			k, order = 0, "SEMVER"
		case "ECOSYSTEM":
			k, order = 1, eco
		default:
			out.Problems = append(out.Problems, fmt.Sprintf("range %d: unknown range type %q", i, r.Type))
			continue
		}
		if out.Affected {
			// Already decided by an earlier range; keep counting GIT ranges.
			continue
		}
		if parsed[k] == nil && perr[k] == nil {
			v, err := c.Parse(order, ver)
			if err != nil {
				perr[k] = err
			} else {
				parsed[k] = &v
			}
		}
		if perr[k] != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("range %d: %v", i, perr[k]))
			continue
		}
		desc, hit, err := c.inRange(order, *parsed[k], r.Events)
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("range %d: %v", i, err))
			continue
		}
		if hit {
			out.Affected = true
			out.Range = r.Type + " " + desc
		}
	}
	if !out.Affected {
		if s, ok := listed(eco, ver, a.Versions); ok {
			out.Affected = true
			out.Range = "versions " + s
		}
	}
	if !out.Affected && (len(a.Ranges) > out.GitRanges || len(a.Versions) > 0) {
		if err := Check(eco, ver); err != nil {
			out.Problems = append(out.Problems, err.Error())
		}
	}
	return out
}

// listed looks ver up in an OSV versions list.
func listed(eco, ver string, versions []string) (string, bool) {
	if len(versions) == 0 {
		return "", false
	}
	if slices.Contains(versions, ver) {
		return ver, true
	}
	base, _, _ := strings.Cut(eco, ":")
	if base != "Go" && base != "npm" && base != "crates.io" && base != "Hex" {
		return "", false
	}
	bare := strings.TrimPrefix(ver, "v")
	for _, s := range versions {
		if strings.TrimPrefix(s, "v") == bare {
			return s, true
		}
	}
	return "", false
}

// event is one parsed range event.
type event struct {
	kind int // rank at equal versions: kindFixed, kindIntroduced, kindLast
	zero bool
	raw  string
	v    V
}

const (
	kindFixed      = iota // fixed and limit: ver ≥ X closes
	kindIntroduced        // ver ≥ X opens
	kindLast              // last_affected: ver > X closes
)

// inRange evaluates one range's events for v and describes the interval
// that contains it.
func (c *Cache) inRange(order string, v V, events []model.Event) (string, bool, error) {
	evs := make([]event, 0, len(events))
	invalid := "" // the first event version that is no version of the ecosystem
	for _, e := range events {
		var ev event
		switch {
		case e.Introduced != "":
			ev = event{kind: kindIntroduced, raw: e.Introduced, zero: e.Introduced == "0"}
		case e.Fixed != "":
			ev = event{kind: kindFixed, raw: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: kindLast, raw: e.LastAffected}
		case e.Limit != "":
			if e.Limit == "*" { // "no limit"
				continue
			}
			ev = event{kind: kindFixed, raw: e.Limit}
		default:
			continue
		}
		if !ev.zero {
			pv, err := c.Parse(order, ev.raw)
			if err != nil {
				return "", false, err
			}
			if invalid == "" && !c.valid(order, ev.raw) {
				invalid = ev.raw
			}
			ev.v = pv
		}
		evs = append(evs, ev)
	}
	var cerr error
	cmp := func(a, b V) int {
		c, err := a.Compare(b)
		if err != nil && cerr == nil {
			cerr = err
		}
		return c
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		if c := cmp(a.v, b.v); c != 0 {
			return c
		}
		return a.kind - b.kind
	})
	open := -1 // index of the introduced event that opened the current interval
	for i, e := range evs {
		switch e.kind {
		case kindIntroduced:
			if open < 0 && (e.zero || cmp(v, e.v) >= 0) {
				open = i
			}
		case kindFixed:
			if open >= 0 && cmp(v, e.v) >= 0 {
				open = -1
			}
		case kindLast:
			if open >= 0 && cmp(v, e.v) > 0 {
				open = -1
			}
		}
	}
	if cerr != nil {
		return "", false, cerr
	}
	if open < 0 {
		if invalid != "" {
			// The lenient comparators ordered it somewhere (below every
			// release): the range may silently match nothing, so it is not
			// evaluated (docs/conformance.md "OSV affected entries").
			base, _, _ := strings.Cut(order, ":")
			return "", false, fmt.Errorf("event version %q is not a valid %s version", invalid, base)
		}
		return "", false, nil
	}
	desc := ">=" + evs[open].raw
	for _, e := range evs[open+1:] {
		if e.kind == kindFixed {
			desc += " <" + e.raw
			break
		}
		if e.kind == kindLast {
			desc += " <=" + e.raw
			break
		}
	}
	return desc, true, nil
}
