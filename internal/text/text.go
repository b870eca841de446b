// Package text owns the few spellings that messages of every layer share:
// an age (Age), so that the engine's freshness warning and governance's
// settings write durations alike (docs/output.md "Freshness",
// docs/governance.md); a count with its noun (Count); a digest or key id cut
// short for a message or a table cell (Abbrev). It imports nothing of the
// module, so the engine, governance and the renderers may all use it.
package text

import (
	"strconv"
	"strings"
	"time"
)

// Age writes a duration the way governance.ParseAge reads it: in whole
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
