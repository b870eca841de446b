// Package text owns the few spellings that messages of every layer share:
// an age (Age, read back by ParseAge; Elapsed for how long ago, rounded), so that the engine's freshness warning and governance's
// settings write durations alike (docs/output.md "Freshness",
// docs/governance.md); a count with its noun (Count); a digest or key id cut
// short for a message or a table cell (Abbrev); the display width of a
// line as a terminal draws it, a window of it and the caret line under it
// (Printable, Width, Window, Marker: a diagnostic's source line,
// docs/dsl.md §6). It imports nothing of the
// module, so the engine, governance and the renderers may all use it.
package text

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Age writes a duration the way ParseAge reads it: in whole
// days from two days up ("7d", "365d"), else as a Go duration without zero
// units ("24h", "36h", "1h30m").
func Age(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseAge reads an age written as days ("365d", at most 100 years) or as a
// Go duration ("12h", "90m"): the settings of the trust config and every
// age flag of the CLI. Negative and empty ages are refused.
func ParseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > 100*365 {
			return 0, fmt.Errorf("%q: want a number of days like 365d", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration like 365d or 12h", s)
	}
	return d, nil
}

// Elapsed writes how long ago something happened, rounded down to its two
// largest units: "2d4h", "3d0h", "3h12m", "3m", "45s" (the age of a cached
// feed). Unlike Age it is for reading, not for giving back to a flag.
func Elapsed(d time.Duration) string {
	days, h, m := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return strconv.FormatInt(days, 10) + "d" + strconv.FormatInt(h, 10) + "h"
	case h > 0:
		return strconv.FormatInt(h, 10) + "h" + strconv.FormatInt(m, 10) + "m"
	case m > 0:
		return strconv.FormatInt(m, 10) + "m"
	}
	return strconv.FormatInt(int64(max(d, 0)/time.Second), 10) + "s"
}

// First is items when there are at most n, else the first n of them and
// one more item saying how many are left out ("3 more"): lists of names in
// a message stay short.
func First(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(items[:n:n], strconv.Itoa(len(items)-n)+" more")
}

// Count writes n with its noun: "1 finding", "0 findings", "2 advisories".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Abbrev cuts a digest or key id to its first 19 characters and an
// ellipsis ("sha256:0123456789ab…"); shorter ones are returned whole.
func Abbrev(id string) string {
	if len(id) > 19 {
		return id[:19] + "…"
	}
	return id
}
