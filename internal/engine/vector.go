package engine

import (
	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/decimal"
)

// scoreVector scores a CVSS vector (internal/cvss): its most specific score
// (environmental, else temporal/threat, else base), its base score, and
// whether it parsed.
func scoreVector(v string) (score, base decimal.D, ok bool) {
	s, err := cvss.Parse(v)
	if err != nil {
		return 0, 0, false
	}
	return s.Score, s.Base, true
}
