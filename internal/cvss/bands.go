package cvss

import "strings"

// Bands returns the severity bands a user names (an exception's downgrade
// band, `policy violations --severity-min`) from the worst down:
// Critical, High, Medium, Low, None (docs/dsl.md). The slice is
// the caller's.
func Bands() []string { return []string{Critical, High, Medium, Low, None} }

// ParseBand returns the band s names, in any case, and its position in
// Bands; ok is false, with rank -1, when s names none.
func ParseBand(s string) (band string, rank int, ok bool) {
	for i, b := range Bands() {
		if strings.EqualFold(b, s) {
			return b, i, true
		}
	}
	return "", -1, false
}
