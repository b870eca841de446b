package engine

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/cvss"
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

// qualitative maps a qualitative label (GHSA database_specific.severity, a
// distro priority) to its band representative: the band's floor, never a
// score the label does not state (docs/dsl.md "Severity resolution").
var qualitative = map[string]decimal.D{
	"CRITICAL":   decimal.Int(9),
	"HIGH":       decimal.Int(7),
	"IMPORTANT":  decimal.Int(7), // Red Hat
	"MODERATE":   decimal.Int(4),
	"MEDIUM":     decimal.Int(4),
	"LOW":        decimal.MustParse("0.1"),
	"NEGLIGIBLE": decimal.MustParse("0.1"), // Ubuntu: still a finding, so Low, never None
}

// Resolution steps, in the order they are tried.
const (
	StepAdvisory    = "advisory"    // the advisory's own CVSS
	StepAlias       = "alias"       // the CVSS of another record of its alias group
	StepNVD         = "nvd"         // NVD's CVSS for a CVE id of the group
	StepQualitative = "qualitative" // a qualitative label of the advisory or its group
	StepUnknown     = "unknown"     // nothing to go by
)

// sevState is a finding's severity while rules run: the base from
// resolution, then profile deltas, then rule actions and a downgrade
// exception.
type sevState struct {
	baseKnown   bool
	base        decimal.D
	source      string // cvss_v4, cvss_v3.1, cvss_v3.0, cvss_v2, qualitative
	vector      string
	label       string // the qualitative label, as given
	record      string // the record the base came from: an advisory id, or "NVD CVE-…"
	step        string // StepAdvisory … StepUnknown
	resolution  []string
	cvssKnown   bool // base came from a CVSS vector (cvss())
	cvss        decimal.D
	qualitative bool

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

// scored is one CVSS that scores.
type scored struct {
	rank        int
	score, base decimal.D
	source      string
	vector      string
	bare        bool // a bare number in place of a vector
}

// bestCVSS picks a record's most specific CVSS (v4.0 > v3.1 > v3.0 > v2;
// among entries of one version the first that scores); ok is false when
// none scores. A bare number in place of a vector scores only inside 0–10.
func bestCVSS(adv *model.Advisory) (best scored, ok bool) {
	for _, e := range adv.Severity {
		rank, source := cvssRank(e.Type, e.Score)
		if rank <= best.rank {
			continue
		}
		c := scored{rank: rank, source: source}
		if d, err := decimal.Parse(e.Score); err == nil {
			if d.Cmp(decimal.Zero) < 0 || d.Cmp(decimal.Ten) > 0 {
				continue // no CVSS score lies outside 0–10: "-1" is not None (docs/dsl.md "Severity resolution")
			}
			c.score, c.bare = d.Round3(), true
			c.base = c.score
		} else {
			var okv bool
			if c.score, c.base, okv = scoreVector(e.Score); !okv {
				continue
			}
			c.vector = e.Score
		}
		best, ok = c, true
	}
	return best, ok
}

// labelOf returns a record's qualitative label: database_specific.severity,
// else a distro priority among its severity entries (Ubuntu, Debian, …).
func labelOf(adv *model.Advisory) (string, decimal.D, bool) {
	if d, ok := qualitative[strings.ToUpper(strings.TrimSpace(adv.DBSeverity))]; ok {
		return adv.DBSeverity, d, true
	}
	for _, e := range adv.Severity {
		if strings.HasPrefix(strings.ToUpper(e.Type), "CVSS_") {
			continue
		}
		if d, ok := qualitative[strings.ToUpper(strings.TrimSpace(e.Score))]; ok {
			return e.Type + " " + e.Score, d, true
		}
	}
	return "", 0, false
}

var nvdSource = map[string]string{"4.0": "cvss_v4", "3.1": "cvss_v3.1", "3.0": "cvss_v3.0", "2.0": "cvss_v2"}

// resolveSeverity finds a finding's base severity in the documented order
// (docs/dsl.md "Severity resolution"): the advisory's own CVSS; the CVSS of
// another record of its alias group (the most specific version, then the
// smallest id); NVD's CVSS for a CVE id of the group (Primary before
// Secondary, then the most specific version; the smallest CVE id first);
// a qualitative label of the advisory, then of its group's records (by id),
// mapped to its band's floor. Each step tried is recorded in resolution.
func resolveSeverity(a *model.Advisory, group []*model.Advisory, ids []string, nvd []model.NVDCVE) sevState {
	s := sevState{step: StepUnknown}
	set := func(step, record string, c scored, why string) {
		s.baseKnown, s.base, s.source, s.vector = true, c.score, c.source, c.vector
		s.cvssKnown, s.cvss = true, c.base
		s.step, s.record = step, record
		what := c.vector
		if c.bare {
			what = c.source + " score " + c.score.String()
		}
		s.resolution = append(s.resolution, step+": "+record+" "+what+" → "+c.score.String()+" ("+why+")")
	}
	if c, ok := bestCVSS(a); ok {
		set(StepAdvisory, a.ID, c, "the advisory's own most specific CVSS")
		return s
	}
	s.resolution = append(s.resolution, StepAdvisory+": "+a.ID+" has no CVSS that scores")

	var alias *model.Advisory
	var best scored
	for _, r := range group {
		if r.ID == a.ID {
			continue
		}
		if c, ok := bestCVSS(r); ok && c.rank > best.rank {
			alias, best = r, c
		}
	}
	if alias != nil {
		set(StepAlias, alias.ID, best, "CVSS of an alias record, the most specific version")
		return s
	}
	s.resolution = append(s.resolution, StepAlias+": no other record of the alias group has a CVSS that scores")

	if len(nvd) > 0 {
		for _, id := range sortedCVEs(ids) {
			i, ok := slices.BinarySearchFunc(nvd, id, func(c model.NVDCVE, id string) int { return strings.Compare(c.ID, id) })
			if !ok {
				continue
			}
			rec := &nvd[i]
			if strings.EqualFold(rec.Status, "Rejected") {
				s.resolution = append(s.resolution, StepNVD+": "+id+" is rejected by NVD")
				continue
			}
			for _, m := range rec.Metrics {
				sc, err := cvss.ParseVersion(m.Version, m.Vector)
				if err != nil {
					continue
				}
				set(StepNVD, "NVD "+id, scored{score: sc.Score, base: sc.Base, source: nvdSource[m.Version], vector: m.Vector},
					"NVD "+m.Type+" metric by "+m.Source)
				return s
			}
		}
		s.resolution = append(s.resolution, StepNVD+": no NVD record with a CVSS for "+cveList(ids))
	} else {
		s.resolution = append(s.resolution, StepNVD+": no NVD input")
	}

	for _, r := range append([]*model.Advisory{a}, group...) {
		if r != a && r.ID == a.ID {
			continue
		}
		if label, d, ok := labelOf(r); ok {
			s.baseKnown, s.base, s.source, s.label = true, d, "qualitative", label
			s.step, s.record, s.qualitative = StepQualitative, r.ID, true
			s.resolution = append(s.resolution, StepQualitative+": "+r.ID+" label "+label+" → "+d.String()+" (band representative, no CVSS anywhere)")
			return s
		}
	}
	s.resolution = append(s.resolution, StepQualitative+": no qualitative label; the severity is unknown")
	return s
}

// sortedCVEs returns the CVE ids among ids, upper-cased and sorted.
func sortedCVEs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if len(id) > 4 && strings.EqualFold(id[:4], "CVE-") {
			out = append(out, strings.ToUpper(id)) // NVD spells ids upper-case; an alias "cve-…" is the same CVE
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func cveList(ids []string) string {
	if cves := sortedCVEs(ids); len(cves) > 0 {
		return strings.Join(cves, ", ")
	}
	return "the group (it has no CVE id)"
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
