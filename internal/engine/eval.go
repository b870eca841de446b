package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/text"
	"github.com/stella-policy/stella/internal/version"
)

// findingInput is what a finding is about: fixed before any rule runs.
type findingInput struct {
	id           string
	comp         *model.Component
	adv          *model.Advisory
	rng          string
	fold         bool     // matched case-insensitively (match.Pair.CaseInsensitive)
	ids          []string // the advisory id, then its aliases
	aliases      []string
	source       string
	tags         []string // advisory tags, with "kev" from the KEV signal
	compTags     []string // component tags, with its SBOM's document tags
	fixedIn      []string
	fixAvailable Val // advisory.fix_available
	cwes         []string
	sig          Signals
	kevKnown     bool // a KEV catalog is among the inputs
	isKEV        bool
	kev          *model.KEVEntry
	reach        *model.Reach
	reachScope   string
}

// state is one finding under evaluation. A worker reuses one state for all
// the findings it evaluates.
type state struct {
	p    *program
	f    findingInput
	sev  sevState
	vex  vexState
	elem *model.VEXStatement // the statement in scope inside vex.any/vex.all

	verdict     string // "" until a rule (or a setting) decides it
	vexStatus   string // "" while it follows the VEX consensus
	decidedBy   string
	rationale   string
	warnings    []string
	annotations []Annotation
	notes       []string
	quiet       bool
	exc         *exception
	excEvidence []ExceptionEvidence
	excBuf      []int

	chain []RuleTrace
	stats []RuleStat
	evals int
	buf   []byte // canonical JSON scratch
}

// currentVEXStatus is the status a rule set, else the consensus of the
// statements that count.
func (s *state) currentVEXStatus() string {
	if s.vexStatus != "" {
		return s.vexStatus
	}
	if s.vex.latest != nil {
		return s.vex.latest.Status
	}
	return model.VEXUnknown
}

// FindingID is the stable id of the finding of advisory on component: it
// depends only on which SBOM, component and advisory it is about, never on
// the policy or the decision, so the same finding has the same id across
// runs and policy versions.
func FindingID(sbom, ref, purl, advisory string) string {
	h := sha256.New()
	for _, s := range []string{sbom, ref, purl, advisory} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "finding:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// prepare loads a pair into s: identity, signals, VEX, exception, severity.
func (s *state) prepare(pair *match.Pair) {
	p := s.p
	c, a := pair.Component, pair.Advisory
	s.f = findingInput{
		id:      FindingID(c.SBOM, c.Ref, c.Purl, a.ID),
		comp:    c,
		adv:     a,
		rng:     pair.Range,
		fold:    pair.CaseInsensitive,
		aliases: pair.Aliases,
		source:  advisorySource(a),
	}
	if s.f.aliases == nil {
		s.f.aliases = []string{}
	}
	s.f.ids = append(append(make([]string, 0, 1+len(pair.Aliases)), a.ID), pair.Aliases...)
	p.sig.lookup(&s.f, s.f.ids)
	s.f.tags = a.Tags
	if s.f.isKEV && !slices.Contains(a.Tags, "kev") {
		s.f.tags = sortStrings(a.Tags, []string{"kev"})
	}
	if s.f.tags == nil {
		s.f.tags = []string{}
	}
	s.f.fixedIn = fixedVersions(a, c, s.f.fold)
	s.f.fixAvailable = fixAvailable(c, s.f.fixedIn)
	s.f.cwes = cwesOf(pair.Group, a, s.f.ids, p.nvd)
	s.f.compTags = c.Tags
	if dt := p.sbomTags[c.SBOM]; len(dt) > 0 {
		s.f.compTags = sortStrings(c.Tags, dt)
	}
	if s.f.compTags == nil {
		s.f.compTags = []string{}
	}

	s.vex.reset(pair.VEX, p.at)
	s.elem = nil
	s.verdict, s.vexStatus, s.decidedBy, s.rationale = "", "", "", ""
	s.warnings, s.annotations, s.notes, s.chain = nil, nil, nil, nil
	s.quiet = false

	s.exc, s.excEvidence, s.excBuf = p.excs.selectException(s.f.ids, c, s.excBuf)
	s.sev = resolveSeverity(a, pair.Group, s.f.ids, p.nvd)
	s.adjustSeverity(&p.prof)
	if s.exc != nil && s.exc.e.Effect == model.EffectDowngrade && s.sev.known && s.exc.downBand < s.sev.band {
		from := s.sev.bandName()
		s.sev.band = s.exc.downBand
		s.sev.score = min(s.sev.score, bandCeil[s.exc.downBand])
		s.sev.adjustments = append(s.sev.adjustments, Adjustment{
			From: "exception " + s.exc.e.ID, When: "downgrade " + from + " to " + s.sev.bandName()})
	}
}

// advisorySource is advisory.source: as the reader set it, else the id
// prefix ("GHSA-…" → "GHSA").
func advisorySource(a *model.Advisory) string {
	if a.Source != "" {
		return a.Source
	}
	for i, r := range a.ID {
		if r == '-' {
			return a.ID[:i]
		}
	}
	return a.ID
}

// fixedVersions lists the fixed events of the advisory's affected entries
// for the component's package, in the order the advisory gives them; fold
// compares the package names case-insensitively (a case-insensitive match).
func fixedVersions(a *model.Advisory, c *model.Component, fold bool) []string {
	var out []string
	for _, af := range a.Affected {
		if c.Ecosystem == "" || !purl.EcosystemCovers(af.Ecosystem, c.Ecosystem) {
			continue
		}
		if an, cn := purl.NormalizeName(af.Ecosystem, af.Name), purl.NormalizeName(c.Ecosystem, c.Package); an != cn && !(fold && strings.EqualFold(an, cn)) {
			continue
		}
		for _, r := range af.Ranges {
			for _, e := range r.Events {
				if e.Fixed != "" && !slices.Contains(out, e.Fixed) {
					out = append(out, e.Fixed)
				}
			}
		}
	}
	return out
}

// fixAvailable is advisory.fix_available: whether a fixed version orders
// after the installed one in the component's ecosystem; null when either
// cannot be ordered.
func fixAvailable(c *model.Component, fixed []string) Val {
	if len(fixed) == 0 {
		return Bool(false)
	}
	if c.Version == "" || c.Ecosystem == "" {
		return Null
	}
	installed := c.Version
	if purl.Base(c.Ecosystem) == purl.Go && (c.Package == "stdlib" || c.Package == "toolchain") {
		installed = strings.TrimPrefix(installed, "go")
	}
	known := false
	for _, f := range fixed {
		n, err := version.Compare(c.Ecosystem, f, installed)
		if err != nil {
			continue
		}
		known = true
		if n > 0 {
			return Bool(true)
		}
	}
	if !known {
		return Null
	}
	return Bool(false)
}

// cwesOf is advisory.cwes: the CWE ids of the advisory and the records of
// its alias group, and of the NVD records of its CVE ids, sorted.
func cwesOf(group []*model.Advisory, a *model.Advisory, ids []string, nvd []model.NVDCVE) []string {
	var out []string
	out = append(out, a.CWEs...)
	for _, r := range group {
		out = append(out, r.CWEs...)
	}
	for _, id := range sortedCVEs(ids) {
		if i, ok := slices.BinarySearchFunc(nvd, id, func(c model.NVDCVE, id string) int { return strings.Compare(c.ID, id) }); ok {
			out = append(out, nvd[i].CWEs...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// run evaluates the rules in order, then settings, then the exception.
func (s *state) run() {
	p := s.p
	for i := range p.rules {
		r := &p.rules[i]
		s.evals++
		cond := r.when(s)
		var tr *RuleTrace
		if p.explain {
			s.chain = append(s.chain, RuleTrace{
				Rule: r.r.Name, Priority: r.r.Priority, Condition: r.cond, Because: r.r.Because,
				Operands: make([]Operand, len(r.operands)), Actions: []ActionTrace{},
			})
			tr = &s.chain[len(s.chain)-1]
			for j, o := range r.operands {
				tr.Operands[j] = Operand{Expr: o.text, Value: o.f(s)}
			}
		}
		branch, name := r.then, "then"
		if !cond.Truthy() {
			branch, name = r.els, "else"
			if r.els == nil {
				name = "none"
			}
		}
		decision := DecisionNotMatched
		if cond.Truthy() {
			decision = DecisionMatched
			s.stats[i].Matched++
		}
		for j := range branch {
			at := s.apply(r.r, &branch[j])
			if at.shadowed {
				decision = DecisionShadowed
			}
			if tr != nil {
				tr.Actions = append(tr.Actions, at.ActionTrace)
			}
		}
		if decision == DecisionShadowed {
			s.stats[i].Shadowed++
		}
		if s.decidedBy == r.r.Name {
			s.stats[i].Decided++
		}
		if tr != nil {
			tr.Decision, tr.Branch = decision, name
		}
	}
	s.settle()
}

type applied struct {
	ActionTrace
	shadowed bool
}

// apply runs one action of a rule's branch.
func (s *state) apply(r *ir.Rule, ca *caction) applied {
	a := ca.a
	out := applied{ActionTrace: ActionTrace{Action: string(a.Kind), Key: a.Key}}
	decides := func(note string) {
		s.decidedBy, s.rationale = r.Name, r.Because
		out.Applied, out.Note = true, note
	}
	switch a.Kind {
	case ir.ActStatus:
		v := ca.value(s)
		out.Value = v
		switch {
		case s.decidedBy != "":
			out.shadowed, out.Note = true, "shadowed: rule "+s.decidedBy+" already decided the status"
		case v.K != KStr:
			out.Note = "not applied: the value is " + kindText(v)
		case isVerdict(v.S):
			s.verdict = v.S
			decides("verdict " + v.S)
		case isVEXStatus(v.S):
			s.vexStatus = v.S
			note := "vexStatus " + v.S
			if v.S == model.VEXNotAffected || v.S == model.VEXFixed {
				s.verdict = VerdictPassed
				note += ", verdict passed"
			}
			decides(note)
		default:
			out.Note = "not applied: " + quoteOrNone(v.S) + " is not a status"
		}
	case ir.ActIgnore:
		switch {
		case s.decidedBy != "":
			out.shadowed, out.Note = true, "shadowed: rule "+s.decidedBy+" already decided the status"
			if ca.until != nil {
				out.Value = ca.until(s)
			}
		case ca.until == nil:
			s.verdict = VerdictIgnored
			decides("verdict ignored")
		default:
			v := ca.until(s)
			out.Value = v
			t, ok := model.ParseTime(v.S)
			switch {
			case v.K != KStr || !ok:
				out.Note = "not applied: until is " + kindText(v) + ", not an RFC 3339 time"
			case t.After(s.p.at):
				s.verdict, s.quiet = VerdictQuieted, true
				decides("quieted until " + v.S)
			default:
				out.Note = "expired: until " + v.S + " is not after the evaluation time " + s.p.atText
				s.notes = append(s.notes, "rule "+r.Name+": ignore until "+v.S+" expired (evaluation time "+s.p.atText+")")
			}
		}
	case ir.ActWarn:
		msg := a.Message
		if msg == "" {
			msg = r.Because
		}
		s.warnings = append(s.warnings, msg)
		out.Value, out.Applied = Str(msg), true
	case ir.ActAnnotate:
		v := ca.value(s)
		out.Value, out.Applied = v, true
		for k := range s.annotations {
			if s.annotations[k].Key == a.Key {
				s.annotations[k] = Annotation{Key: a.Key, Value: v, Rule: r.Name}
				return out
			}
		}
		s.annotations = append(s.annotations, Annotation{Key: a.Key, Value: v, Rule: r.Name})
	case ir.ActEscalate:
		v := ca.value(s)
		out.Value = v
		from := s.sev.bandName()
		raised := false
		switch {
		case v.K == KNum:
			raised = s.sev.raiseScore(v.N)
		case v.K == KStr:
			b, ok := ir.BandRank(v.S)
			if !ok {
				out.Note = "not applied: " + quoteOrNone(v.S) + " is not a band"
				return out
			}
			raised = s.sev.raiseBand(b)
		default:
			out.Note = "not applied: the value is " + kindText(v)
			return out
		}
		if !raised {
			out.Note = "not applied: escalate never lowers (severity is " + from + ")"
			return out
		}
		out.Applied, out.Note = true, "raised "+from+" to "+s.sev.bandName()
		s.sev.adjustments = append(s.sev.adjustments, Adjustment{From: "rule " + r.Name, When: "escalate to " + v.String()})
	case ir.ActSeverity:
		v := ca.value(s)
		out.Value = v
		from := s.sev.bandName()
		switch {
		case v.K == KNum:
			s.sev.setScore(v.N)
		case v.K == KStr:
			b, ok := ir.BandRank(v.S)
			if !ok {
				out.Note = "not applied: " + quoteOrNone(v.S) + " is not a band"
				return out
			}
			s.sev.setBand(b)
		default:
			out.Note = "not applied: the value is " + kindText(v)
			return out
		}
		out.Applied, out.Note = true, "set "+from+" to "+s.sev.bandName()
		s.sev.adjustments = append(s.sev.adjustments, Adjustment{From: "rule " + r.Name, When: "severity := " + v.String()})
	case ir.ActRequireVex:
		n := s.vex.requireVex(r.Name, a.Vendors, a.Justifications)
		out.Applied, out.Note = true, "rejected "+text.Count(n, "statement", "statements")
		out.Value = List(nil)
	}
	return out
}

func kindText(v Val) string {
	switch v.K {
	case KNull:
		return "null"
	case KStr:
		return "the string " + quoteOrNone(v.S)
	case KNum:
		return "the number " + v.N.String()
	case KBool:
		return "a boolean"
	case KList:
		return "a list"
	}
	return "a statement"
}

// settle decides what no rule decided, from the settings, and applies the
// warn rule and the winning exception.
func (s *state) settle() {
	set := &s.p.set
	if s.verdict == "" {
		switch {
		case set.blockKEV && s.f.isKEV:
			s.verdict, s.decidedBy, s.rationale = VerdictBlocked, "settings.block_kev", "the advisory is in the KEV catalog"
		case set.scoreThreshold != nil && s.sev.known && s.sev.score >= *set.scoreThreshold:
			s.verdict, s.decidedBy = VerdictBlocked, "settings.score_threshold"
			s.rationale = "severity score " + s.sev.score.String() + " ≥ score_threshold " + set.scoreThreshold.String()
		case set.epssThreshold != nil && s.f.sig.EPSS != nil && *s.f.sig.EPSS >= *set.epssThreshold:
			s.verdict, s.decidedBy = VerdictWarned, "settings.epss_threshold"
			s.rationale = "EPSS " + s.f.sig.EPSS.String() + " ≥ epss_threshold " + set.epssThreshold.String()
			s.warnings = append(s.warnings, s.rationale)
		case s.decidedBy != "":
			// A rule set the VEX status (affected, under_investigation):
			// the verdict is the default, the rule stays the decider.
			s.verdict = set.defaultStatus
		case set.defaultStatus == VerdictPassed:
			s.verdict, s.rationale = VerdictPassed, "no rule decided the status"
		default:
			s.verdict, s.decidedBy = set.defaultStatus, "settings.default_status"
			s.rationale = "no rule decided the status; default_status is " + set.defaultStatus
		}
	}
	if len(s.warnings) > 0 && s.verdict != VerdictBlocked && s.verdict != VerdictWarned {
		s.notes = append(s.notes, "verdict "+s.verdict+" becomes warned: a rule warned")
		s.verdict = VerdictWarned
	}
	if s.exc == nil {
		return
	}
	e := s.exc.e
	switch e.Effect {
	case model.EffectSuppress:
		s.notes = append(s.notes, "exception "+e.ID+" (suppress) quiets the finding until "+e.Expires)
		s.verdict, s.quiet = VerdictQuieted, true
	case model.EffectDefer, model.EffectRequireControl:
		if s.verdict == VerdictBlocked {
			s.verdict = VerdictWarned
			s.notes = append(s.notes, "exception "+e.ID+" ("+e.Effect+") defers the block until "+e.Expires)
		}
		if e.Effect == model.EffectRequireControl {
			s.warnings = append(s.warnings, "exception "+e.ID+" requires control "+e.Control)
		}
	}
}
