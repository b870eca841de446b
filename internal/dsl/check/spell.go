package check

import (
	"strings"
)

// This file finds the nearest name for "did you mean" suggestions.

// nearest returns the candidate closest to name by edit distance (ignoring
// case), if it is close enough to be a plausible typo, else the first that
// starts with name; ties go to the earliest candidate, so callers pass
// candidates in a fixed order.
func nearest(name string, candidates []string) (string, bool) {
	limit := min(3, 1+len(name)/4)
	best, bestD := "", limit+1
	lname := strings.ToLower(name)
	for _, c := range candidates {
		if c == name {
			continue
		}
		if d := distance(lname, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(name) >= 3 {
		// A truncated name ("fixed" for "fixed_in") is a plausible slip too.
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), lname) {
				return c, true
			}
		}
	}
	return best, best != ""
}

// Nearest is nearest for other "did you mean" suggestions (the CLI's
// config keys, docs/config.md).
func Nearest(name string, candidates []string) (string, bool) { return nearest(name, candidates) }

// didYouMean formats a suggestion suffix, or "" when there is none.
func didYouMean(name string, candidates []string) string {
	if s, ok := nearest(name, candidates); ok {
		return "; did you mean " + s + "?"
	}
	return ""
}

// distance is the Levenshtein distance between a and b, in bytes (names
// are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
