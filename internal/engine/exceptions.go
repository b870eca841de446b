package engine

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/text"
)

// Exception states in a trace.
const (
	excApplied         = "applied"
	excOutranked       = "outranked"
	excExpired         = "expired"
	excNotYetEffective = "not_yet_effective"
	excNotApproved     = "not_approved"
	excInvalid         = "invalid"
	excOtherPolicy     = "other_policy"
)

// effectStrength orders effects for choosing the winner: the stronger wins.
var effectStrength = map[string]int{
	model.EffectSuppress:       4,
	model.EffectDowngrade:      3,
	model.EffectDefer:          2,
	model.EffectRequireControl: 1,
}

// exception is an exception prepared for matching.
type exception struct {
	e        *model.Exception
	purls    []string // e.Purls spelled as component purls are (purl.CanonicalPattern)
	state    string   // "" when it can apply at the evaluation time, else why not
	detail   string
	expires  time.Time
	downBand int
}

// expiringSoon is how close to its expiry an exception in force is warned
// about (docs/dsl.md "Exceptions").
const expiringSoon = 14 * 24 * time.Hour

// prepareExceptions decides, once per run, which exceptions can apply at
// the evaluation time: only approved ones inside their timebox
// [effective (or created), expires), and only those scoped to the
// registered policy being run (or to none). The rest are kept so that
// findings in their scope can show why they did not apply.
func prepareExceptions(in []model.Exception, at time.Time, registered string) ([]exception, []string) {
	var out []exception
	var warnings []string
	for i := range in {
		e := &in[i]
		x := exception{e: e}
		for _, p := range e.Purls {
			x.purls = append(x.purls, purl.CanonicalPattern(p))
		}
		exp, okExp := model.ParseTime(e.Expires)
		start := cmp.Or(e.Effective, e.Created)
		st, okStart := model.ParseTime(start)
		switch {
		case len(e.Vulns) == 0 && len(e.Purls) == 0:
			warnings = append(warnings, "exception "+e.ID+" has an empty scope and never applies")
			continue
		case slices.ContainsFunc(e.Purls, func(p string) bool { return !ir.PurlPattern(p) }):
			x.state, x.detail = excInvalid, "a purl pattern names no package type (pkg:TYPE/…): a blanket waiver"
		case e.Policy != "" && e.Policy != registered:
			x.state, x.detail = excOtherPolicy, "for policy "+e.Policy+" only"
		case e.Status != model.ExceptionApproved:
			x.state, x.detail = excNotApproved, "status is "+quoteOrNone(e.Status)
		case !okExp:
			x.state, x.detail = excInvalid, "expires "+quoteOrNone(e.Expires)+" is not an RFC 3339 time"
		case start != "" && !okStart:
			x.state, x.detail = excInvalid, "effective "+quoteOrNone(start)+" is not an RFC 3339 time"
		case !at.Before(exp):
			x.state, x.detail = excExpired, "expired at "+e.Expires
		case okStart && at.Before(st):
			x.state, x.detail = excNotYetEffective, "effective from "+start
		case exp.Sub(at) <= expiringSoon:
			days := int((exp.Sub(at) + 24*time.Hour - 1) / (24 * time.Hour))
			warnings = append(warnings, "exception "+e.ID+" expires "+e.Expires+", in "+text.Count(days, "day", "days")+
				" (within "+itoa(int(expiringSoon/(24*time.Hour)))+"): renew it or fix what it waives")
		}
		x.expires = exp
		if e.Effect == model.EffectDowngrade && x.state == "" {
			r, ok := ir.BandRank(e.Severity)
			if !ok {
				x.state, x.detail = excInvalid, "downgrade severity "+quoteOrNone(e.Severity)+" is not a band"
			}
			x.downBand = r
		}
		if _, ok := effectStrength[e.Effect]; !ok && x.state == "" {
			x.state, x.detail = excInvalid, "unknown effect "+quoteOrNone(e.Effect)
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b exception) int { return strings.Compare(a.e.ID, b.e.ID) })
	return out, warnings
}

// scopeMatch reports whether x covers the finding and how specifically:
// 0 = not at all. A listed vulnerability (the advisory id or an alias) adds
// 4; a purl pattern adds 3 when it names the exact version, 2 when it names
// the package without a version and 1 when it is a glob. An empty list does
// not restrict (but both empty never match; see prepareExceptions).
func scopeMatch(x *exception, ids []string, comp *model.Component) int {
	spec := 0
	if len(x.e.Vulns) > 0 {
		hit := false
		for _, v := range x.e.Vulns {
			if containsFold(ids, v) {
				hit = true
				break
			}
		}
		if !hit {
			return 0
		}
		spec += 4
	}
	if len(x.purls) > 0 {
		best := 0
		for _, p := range x.purls {
			best = max(best, purl.PatternMatch(p, comp.Purl))
		}
		if best == 0 {
			return 0
		}
		spec += best
	}
	return spec
}

// exceptionIndex finds the exceptions that may cover a finding without
// scanning them all: by listed vulnerability id, plus those that list none.
type exceptionIndex struct {
	xs      []exception      // sorted by id
	byVuln  map[string][]int // upper-case id → indexes into xs
	anyVuln []int
}

func newExceptionIndex(xs []exception) *exceptionIndex {
	x := &exceptionIndex{xs: xs, byVuln: map[string][]int{}}
	for i := range xs {
		if len(xs[i].e.Vulns) == 0 {
			x.anyVuln = append(x.anyVuln, i)
			continue
		}
		for _, v := range xs[i].e.Vulns {
			k := strings.ToUpper(v)
			if l := x.byVuln[k]; len(l) == 0 || l[len(l)-1] != i {
				x.byVuln[k] = append(l, i)
			}
		}
	}
	return x
}

// candidates returns the indexes of the exceptions that may cover a finding
// with these advisory ids, in id order.
func (x *exceptionIndex) candidates(ids []string, buf []int) []int {
	buf = append(buf[:0], x.anyVuln...)
	for _, id := range ids {
		buf = append(buf, x.byVuln[strings.ToUpper(id)]...)
	}
	if len(buf) > 1 {
		slices.Sort(buf)
		buf = slices.Compact(buf)
	}
	return buf
}

// selectException finds the exceptions covering a finding and picks the
// single winner among those that can apply: the most specific scope, then
// the strongest effect (suppress > downgrade > defer > requireControl), then
// the earliest expiry, then the smallest id. It returns the winner (or nil)
// and the evidence for every exception in scope, by id.
func (ix *exceptionIndex) selectException(ids []string, comp *model.Component, buf []int) (*exception, []ExceptionEvidence, []int) {
	var win *exception
	winSpec := 0
	var ev []ExceptionEvidence
	buf = ix.candidates(ids, buf)
	for _, i := range buf {
		x := &ix.xs[i]
		spec := scopeMatch(x, ids, comp)
		if spec == 0 {
			continue
		}
		ev = append(ev, ExceptionEvidence{ID: x.e.ID, Effect: x.e.Effect, State: x.state, Detail: x.detail})
		if x.state != "" {
			continue
		}
		if win == nil || better(x, spec, win, winSpec) {
			win, winSpec = x, spec
		}
	}
	for i := range ev {
		switch {
		case ev[i].State != "":
		case ev[i].ID == win.e.ID:
			ev[i].State = excApplied
		default:
			ev[i].State, ev[i].Detail = excOutranked, "exception "+win.e.ID+" wins"
		}
	}
	return win, ev, buf
}

func better(x *exception, xs int, y *exception, ys int) bool {
	if xs != ys {
		return xs > ys
	}
	if a, b := effectStrength[x.e.Effect], effectStrength[y.e.Effect]; a != b {
		return a > b
	}
	if c := x.expires.Compare(y.expires); c != 0 {
		return c < 0
	}
	return x.e.ID < y.e.ID
}

func exceptionRef(x *exception) *ExceptionRef {
	e := x.e
	return &ExceptionRef{ID: e.ID, Effect: e.Effect, Severity: e.Severity, Control: e.Control,
		Owner: e.Owner, Expires: e.Expires, Justification: e.Justification}
}

// scopeWarnings warns about each exception that was skipped because it has
// expired although it covers findings of this run — the waiver ended and
// what it waived counts again — and, in one line, about the exceptions in
// force that cover no finding of it: a misspelt id or purl waives nothing,
// and the user must not believe it does (docs/dsl.md "Exceptions").
func (ix *exceptionIndex) scopeWarnings(fs []Finding) []string {
	if len(ix.xs) == 0 {
		return nil
	}
	covered := make([]int, len(ix.xs))
	var buf []int
	var ids []string
	for i := range fs {
		f := &fs[i]
		ids = append(append(ids[:0], f.AdvisoryID), f.Aliases...)
		comp := model.Component{Purl: f.Purl}
		buf = ix.candidates(ids, buf)
		for _, k := range buf {
			if (ix.xs[k].state == excExpired || ix.xs[k].state == "") && scopeMatch(&ix.xs[k], ids, &comp) > 0 {
				covered[k]++
			}
		}
	}
	var out, unused []string
	for k, n := range covered {
		switch x := &ix.xs[k]; {
		case x.state == excExpired && n > 0:
			out = append(out, "exception "+x.e.ID+" expired "+x.e.Expires+" and was not applied to "+text.Count(n, "finding", "findings")+" it covers")
		case x.state == "" && n == 0:
			unused = append(unused, x.e.ID)
		}
	}
	switch {
	case len(unused) == 1:
		out = append(out, "exception "+unused[0]+" is in force but covers no finding of this run: check its vulns and purls")
	case len(unused) > 1:
		out = append(out, itoa(len(unused))+" exceptions are in force but cover no finding of this run: "+
			strings.Join(text.First(unused, mostUnused), ", ")+"; check their vulns and purls")
	}
	return out
}

// mostUnused is how many exceptions covering nothing a warning names.
const mostUnused = 5
