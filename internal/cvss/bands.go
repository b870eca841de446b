package cvss

import "strings"

// Bands returns the severity bands from the worst down: Critical, High,
// Medium, Low, None (docs/dsl.md). This is their one list: ir.Bands (the
// DSL's, increasing) is it reversed, and the bands a user names (an
// exception's downgrade band, `policy violations --severity-min`) are
// read with ParseBand. The slice is the caller's.
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
