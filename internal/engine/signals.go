package engine

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/text"
)

// signalIndex looks up KEV, EPSS and reachability facts. It is built once
// per run and only read while findings are evaluated.
type signalIndex struct {
	kevGiven  bool
	kev       map[string]*model.KEVEntry // by upper-case CVE
	epssGiven bool
	epss      map[string]*model.EPSSScore
	reach     map[string][]reachFact // by purl identity (type/namespace/name)
}

type reachFact struct {
	r *model.Reach
	p purl.PURL
}

func newSignalIndex(in *model.Inputs) (*signalIndex, []string) {
	var warnings []string
	x := &signalIndex{}
	if in.KEV != nil {
		x.kevGiven = true
		x.kev = make(map[string]*model.KEVEntry, len(in.KEV.Entries))
		for i := range in.KEV.Entries {
			e := &in.KEV.Entries[i]
			x.kev[strings.ToUpper(e.CVE)] = e
		}
	}
	if in.EPSS != nil {
		x.epssGiven = true
		x.epss = make(map[string]*model.EPSSScore, len(in.EPSS.Scores))
		for i := range in.EPSS.Scores {
			e := &in.EPSS.Scores[i]
			x.epss[strings.ToUpper(e.CVE)] = e
		}
	}
	if len(in.Reach) > 0 {
		x.reach = map[string][]reachFact{}
		bad := 0
		for i := range in.Reach {
			r := &in.Reach[i]
			p, err := purl.Parse(r.Purl)
			if err != nil {
				bad++
				continue
			}
			k := identity(p)
			x.reach[k] = append(x.reach[k], reachFact{r, p})
		}
		if bad > 0 {
			warnings = append(warnings, text.Count(bad, "reachability fact", "reachability facts")+" with an invalid purl ignored")
		}
	}
	return x, warnings
}

func identity(p purl.PURL) string { return p.Type + "/" + p.Namespace + "/" + p.Name }

// lookup fills the finding's signals: KEV and EPSS by the advisory id, then
// its aliases in order (first hit), and reachability for the component.
func (x *signalIndex) lookup(f *findingInput, ids []string) {
	f.kevKnown = x.kevGiven
	f.isKEV = false
	for _, id := range ids {
		if e, ok := x.kev[strings.ToUpper(id)]; ok {
			f.kev, f.isKEV = e, true
			f.sig.KEVDateAdded = e.DateAdded
			break
		}
	}
	if x.kevGiven {
		kev := f.isKEV
		f.sig.KEV = &kev
	}
	// The highest score of the alias group (the first id holding it on a
	// tie): a finding is as likely to be exploited as its most exploited
	// id (docs/dsl.md "Signals and reachability").
	var best *model.EPSSScore
	for _, id := range ids {
		if e, ok := x.epss[strings.ToUpper(id)]; ok && (best == nil || e.Score.Cmp(best.Score) > 0) {
			best = e
		}
	}
	if best != nil {
		score, pct := best.Score, best.Percentile
		f.sig.EPSS, f.sig.EPSSPercentile, f.sig.EPSSCVE = &score, &pct, best.CVE
	}
	f.reach, f.reachScope = nil, "none"
	if x.reach == nil || f.comp.Purl == "" {
		return
	}
	cp, err := purl.Parse(f.comp.Purl)
	if err != nil {
		return
	}
	var byVuln, byPurl []*model.Reach
	for _, rf := range x.reach[identity(cp)] {
		if purl.Match(rf.p, cp) != purl.Matched {
			continue
		}
		switch {
		case rf.r.Vulnerability == "":
			byPurl = append(byPurl, rf.r)
		case containsFold(ids, rf.r.Vulnerability):
			byVuln = append(byVuln, rf.r)
		}
	}
	switch {
	case len(byVuln) > 0:
		f.reach, f.reachScope = joinReach(byVuln), "vulnerability"
	case len(byPurl) > 0:
		f.reach, f.reachScope = joinReach(byPurl), "component"
	}
}

// joinReach combines several facts about one finding: the states are joined
// in the reachability lattice (U bottom, X top; static and runtime evidence
// that agree confirm, that disagree contest), the score is the greatest and
// the evidence the sorted union.
func joinReach(rs []*model.Reach) *model.Reach {
	if len(rs) == 1 {
		return rs[0]
	}
	out := model.Reach{Purl: rs[0].Purl, Vulnerability: rs[0].Vulnerability, State: model.ReachUnknown, Score: decimal.Zero}
	for _, r := range rs {
		out.State = latticeJoin(out.State, r.State)
		out.Score = max(out.Score, r.Score)
		out.Evidence = append(out.Evidence, r.Evidence...)
	}
	slices.Sort(out.Evidence)
	out.Evidence = slices.Compact(out.Evidence)
	return &out
}

// reachJoin is the join table of the reachability lattice for the states
// between U and X (docs/dsl.md "Signals and reachability"); the table is
// symmetric.
var reachJoin = map[[2]string]string{
	{"SR", "SU"}: "X", {"SR", "RO"}: "CR", {"SR", "RU"}: "X", {"SR", "CR"}: "CR", {"SR", "CU"}: "X",
	{"SU", "RO"}: "X", {"SU", "RU"}: "CU", {"SU", "CR"}: "X", {"SU", "CU"}: "CU",
	{"RO", "RU"}: "X", {"RO", "CR"}: "CR", {"RO", "CU"}: "X",
	{"RU", "CR"}: "X", {"RU", "CU"}: "CU",
	{"CR", "CU"}: "X",
}

func latticeJoin(a, b string) string {
	switch {
	case a == b:
		return a
	case a == "U" || a == "":
		return b
	case b == "U" || b == "":
		return a
	case a == "X" || b == "X":
		return "X"
	}
	if j, ok := reachJoin[[2]string{a, b}]; ok {
		return j
	}
	if j, ok := reachJoin[[2]string{b, a}]; ok {
		return j
	}
	return "X"
}

func itoa(n int) string { return decimal.Int(int64(n)).String() }

// sortStrings returns the sorted, de-duplicated union of lists.
func sortStrings(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(a, b) })
	return slices.Compact(out)
}
