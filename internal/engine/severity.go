package engine

import (
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// Band ranks (indexes into ir.Bands).
const (
	bandNone = iota
	bandLow
	bandMedium
	bandHigh
	bandCritical
)

// bandFloor is the least score of each band; bandCeil the greatest, at the
// 3-place precision of findings (a downgrade caps the score there).
var (
	bandFloor = [...]decimal.D{0, decimal.MustParse("0.1"), decimal.Int(4), decimal.Int(7), decimal.Int(9)}
	bandCeil  = [...]decimal.D{0, decimal.MustParse("3.999"), decimal.MustParse("6.999"), decimal.MustParse("8.999"), decimal.Ten}
)

// bandOf maps a 0–10 score to its band: Critical ≥ 9, High ≥ 7, Medium ≥ 4,
// Low > 0, None = 0.
func bandOf(score decimal.D) int {
	for b := bandCritical; b > bandNone; b-- {
		if score >= bandFloor[b] {
			return b
		}
	}
	return bandNone
}

// dbSeverity is the base score of an OSV database_specific.severity word,
// used only when the advisory has no CVSS vector.
var dbSeverity = map[string]decimal.D{
	"CRITICAL": decimal.Int(9),
	"HIGH":     decimal.Int(7),
	"MODERATE": decimal.Int(4),
	"MEDIUM":   decimal.Int(4),
	"LOW":      decimal.MustParse("0.1"),
}

// sevState is a finding's severity while rules run: the base from the
// advisory, then profile deltas, then rule actions and a downgrade exception.
type sevState struct {
	baseKnown bool
	base      decimal.D
	source    string // cvss_v4, cvss_v3.1, cvss_v3.0, cvss_v2, database
	vector    string
	cvssKnown bool // base came from a CVSS vector (cvss())
	cvss      decimal.D

	known bool
	score decimal.D
	band  int

	adjustments []Adjustment
}

// cvssRank orders OSV severity entries: the most specific first.
func cvssRank(typ, vector string) (rank int, source string) {
	switch strings.ToUpper(typ) {
	case "CVSS_V4":
		return 4, "cvss_v4"
	case "CVSS_V3":
		if strings.HasPrefix(vector, "CVSS:3.0/") {
			return 2, "cvss_v3.0"
		}
		return 3, "cvss_v3.1"
	case "CVSS_V2":
		return 1, "cvss_v2"
	}
	return 0, ""
}

// baseSeverity picks the advisory's most specific CVSS (v4.0 > v3.1 > v3.0 >
// v2; among entries of one version the first that scores), else its
// database severity word.
func baseSeverity(adv *model.Advisory) sevState {
	var s sevState
	best := 0
	for _, e := range adv.Severity {
		rank, source := cvssRank(e.Type, e.Score)
		if rank <= best {
			continue
		}
		score, base, vector, ok := decimal.D(0), decimal.D(0), "", false
		if d, err := decimal.Parse(e.Score); err == nil {
			score, ok = d.Clamp(decimal.Zero, decimal.Ten).Round3(), true // a bare number in place of a vector
			base = score
		} else {
			score, base, ok = scoreVector(e.Score)
			vector = e.Score
		}
		if !ok {
			continue
		}
		best = rank
		s.baseKnown, s.base, s.source, s.vector = true, score, source, vector
		s.cvssKnown, s.cvss = true, base
	}
	if !s.baseKnown {
		if d, ok := dbSeverity[strings.ToUpper(adv.DBSeverity)]; ok {
			s.baseKnown, s.base, s.source = true, d, "database"
		}
	}
	return s
}

// profile is the compiled severity profile.
type profile struct {
	name string
	maps []ir.Map
	envs []envDelta
}

type envDelta struct {
	block string
	text  string
	when  fn
	delta decimal.D
}

// adjust applies the profile to the base score: for each map, the delta of
// its first entry whose selector matches (selector `source` compares with
// advisory.source, case-insensitively); then every env entry whose condition
// holds, in source order. The sum is clamped to [0, 10].
func (s *state) adjustSeverity(p *profile) {
	sv := &s.sev
	if !sv.baseKnown {
		return
	}
	score := sv.base
	for _, m := range p.maps {
		for _, e := range m.Entries {
			if e.Key == "source" && strings.EqualFold(e.Match, s.f.source) {
				score = score.Add(e.Delta)
				sv.adjustments = append(sv.adjustments, Adjustment{
					From: "profile " + p.name + " map " + m.Name, When: "source " + ir.Quote(e.Match), Delta: e.Delta})
				break
			}
		}
	}
	for _, e := range p.envs {
		if e.when(s).Truthy() {
			score = score.Add(e.delta)
			sv.adjustments = append(sv.adjustments, Adjustment{
				From: "profile " + p.name + " env " + e.block, When: e.text, Delta: e.delta})
		}
	}
	sv.known = true
	sv.score = score.Clamp(decimal.Zero, decimal.Ten).Round3()
	sv.band = bandOf(sv.score)
}

// raiseBand is escalate to a band: it only raises, lifting the score to the
// band's floor.
func (sv *sevState) raiseBand(b int) bool {
	if sv.known && b <= sv.band {
		return false
	}
	if !sv.known || sv.score < bandFloor[b] {
		sv.score = bandFloor[b]
	}
	sv.known, sv.band = true, b
	return true
}

// raiseScore is escalate to a number: it only raises.
func (sv *sevState) raiseScore(n decimal.D) bool {
	n = n.Clamp(decimal.Zero, decimal.Ten).Round3()
	if sv.known && n <= sv.score {
		return false
	}
	sv.known, sv.score, sv.band = true, n, bandOf(n)
	return true
}

// setBand is severity := band: the band is set, and the score moved into it
// (to its floor when raised, its ceiling when lowered).
func (sv *sevState) setBand(b int) {
	switch {
	case !sv.known || sv.score < bandFloor[b]:
		sv.score = bandFloor[b]
	case sv.score > bandCeil[b]:
		sv.score = bandCeil[b]
	}
	sv.known, sv.band = true, b
}

// setScore is severity := number.
func (sv *sevState) setScore(n decimal.D) {
	n = n.Clamp(decimal.Zero, decimal.Ten).Round3()
	sv.known, sv.score, sv.band = true, n, bandOf(n)
}

func (sv *sevState) bandName() string {
	if !sv.known {
		return "Unknown"
	}
	return ir.Bands[sv.band]
}

func (sv *sevState) scorePtr() *decimal.D {
	if !sv.known {
		return nil
	}
	d := sv.score
	return &d
}
