package policyset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// SetVersion names the JSON shape of a set result.
const SetVersion = "stella.set@1"

// Result is the outcome of evaluating a policy set: the combined result
// (every format renders it as it renders one policy's) and the set.
type Result struct {
	*engine.Result
	Set Info `json:"set"`
}

// Info describes the set and each member's part.
type Info struct {
	Schema    string       `json:"schema"`
	Digest    string       `json:"digest"` // over the members' refs, IR digests and modes
	Members   []MemberInfo `json:"members"`
	Uncovered int          `json:"uncovered"` // findings no evaluated member's scope covers (not in the result)
}

// MemberInfo is one member of an evaluated set.
type MemberInfo struct {
	Policy      string `json:"policy"`
	Name        string `json:"name"`
	Digest      string `json:"digest"`
	Enforcement string `json:"enforcement"`
	Scope       string `json:"scope"`
	Applies     bool   `json:"applies"`           // enabled and the run's env is in scope
	Findings    int    `json:"findings"`          // findings in its scope
	Verdict     string `json:"verdict,omitempty"` // its own run verdict, when it applies
	Decided     int    `json:"decided"`           // findings whose set verdict is its verdict
}

// Covers is what member m evaluates in a run with env over the join pairs
// (docs/governance.md "Evaluating a set"): nothing (false) when it is
// disabled or env is outside its env scope, else the pairs whose component
// its component scope covers (an SBOM's tags count for its components).
// internal/run evaluates each member on its pairs and Combine combines.
func (m Member) Covers(env []engine.KV, pairs []match.Pair, sboms []model.SBOM) ([]match.Pair, bool, error) {
	norm, err := engine.NormalizeEnv(env)
	if err != nil {
		return nil, false, err
	}
	kv := map[string]string{}
	for _, e := range norm {
		kv[e.Key] = e.Value
	}
	if m.Mode == ir.EnforceDisabled || !EnvMatches(m.Scope, kv) {
		return nil, false, nil
	}
	tags := map[string][]string{}
	for _, sb := range sboms {
		tags[sb.Digest] = sb.Tags
	}
	return slices.DeleteFunc(slices.Clone(pairs), func(p match.Pair) bool {
		c := p.Component
		return !ComponentMatches(m.Scope, c.Purl, slices.Concat(c.Tags, tags[c.SBOM]), c.Ecosystem)
	}), true, nil
}

// Audit reports whether m only audits: its findings are not enforced.
func (m Member) Audit() bool { return m.Mode == ir.EnforceAudit }

// Combine combines the results of a set's members, evaluated by
// internal/run on what Covers gives each (results[i] nil: member i did not
// apply), in a run with env over a join of pairs pairs: per finding, the
// most restrictive verdict among the enforcing members (enforce, warn —
// whose blocks count as warnings) decides, the first such member in set
// order on a tie; audit members are traced but never decide unless no
// enforcing member covers the finding (then the finding is not enforced).
// Gates of enforcing members count (a warn member's blocking gate warns).
// Deterministic: a pure function of its arguments.
func Combine(members []Member, results []*engine.Result, env []engine.KV, pairs int, shadow bool) (*Result, error) {
	norm, err := engine.NormalizeEnv(env)
	if err != nil {
		return nil, err
	}
	out := &Result{Set: Info{Schema: SetVersion, Members: []MemberInfo{}}}
	for i, m := range members {
		mi := MemberInfo{Policy: m.Ref, Name: m.Policy.PolicyID, Digest: m.Digest, Enforcement: m.Mode, Scope: m.Scope.String()}
		if res := results[i]; res != nil {
			mi.Applies, mi.Findings, mi.Verdict = true, len(res.Findings), res.Verdict
		}
		out.Set.Members = append(out.Set.Members, mi)
	}
	if !slices.ContainsFunc(results, func(r *engine.Result) bool { return r != nil }) {
		return nil, noneApplies(out.Set.Members, norm)
	}
	_, digest, err := Digest(members)
	if err != nil {
		return nil, err
	}
	out.Set.Digest = digest

	// Every finding id any member evaluated, with each member's finding.
	byID := map[string][]*engine.Finding{}
	var ids []string
	for i, res := range results {
		if res == nil {
			continue
		}
		for j := range res.Findings {
			f := &res.Findings[j]
			if byID[f.FindingID] == nil {
				byID[f.FindingID] = make([]*engine.Finding, len(results))
				ids = append(ids, f.FindingID)
			}
			byID[f.FindingID][i] = f
		}
	}
	slices.Sort(ids)
	out.Set.Uncovered = pairs - len(ids)

	var base *engine.Result
	for _, r := range results {
		if r != nil {
			base = r
			break
		}
	}
	comb := &engine.Result{SchemaVersion: engine.SchemaVersion, Findings: []engine.Finding{}, Gates: []engine.Gate{}, VEXMatchReport: []engine.VEXUnmatched{}, Warnings: []string{}}
	if base != nil {
		comb.Inputs, comb.Env, comb.EvaluationTime = base.Inputs, base.Env, base.EvaluationTime
		comb.VEXMatchReport, comb.Warnings = base.VEXMatchReport, slices.Clone(base.Warnings)
		comb.Freshness, comb.Notices, comb.Coverage = base.Freshness, base.Notices, base.Coverage
	}
	if n := out.Set.Uncovered; n > 0 {
		// Left out of the result, so no verdict or gate counts them: say so
		// in every format, not only the table (docs/governance.md).
		comb.Warnings = append(comb.Warnings, fmt.Sprintf("%d findings are in no evaluated policy's scope and were not gated (set.uncovered)", n))
		slices.Sort(comb.Warnings)
	}
	comb.Policy = engine.PolicyRef{ID: "set", Digest: digest, Syntax: ir.Syntax, Profile: engine.RiskProfile}
	verdict := engine.VerdictPassed
	raise := func(v string) {
		if verdictRank(v) > verdictRank(verdict) && (v == engine.VerdictBlocked || v == engine.VerdictWarned) {
			verdict = v
		}
	}
	for _, id := range ids {
		fs := byID[id]
		win, winV := -1, ""
		trace := &engine.SetTrace{}
		for i, f := range fs {
			m := members[i]
			d := engine.SetDecision{Policy: m.Ref, Digest: m.Digest, Enforcement: m.Mode, InScope: f != nil, Counts: m.enforcing()}
			if f != nil {
				d.Verdict, d.Rule = effective(m.Mode, f.Verdict), f.Rule
				switch {
				case win < 0,
					m.enforcing() && !members[win].enforcing(),
					m.enforcing() && verdictRank(d.Verdict) > verdictRank(winV):
					win, winV = i, d.Verdict
				}
			}
			trace.Policies = append(trace.Policies, d)
		}
		wm := members[win]
		trace.DecidedBy = wm.Ref
		f := *fs[win]
		f.Verdict = winV
		f.Enforced = wm.enforcing() && !shadow
		if f.Rule != "" {
			f.Rule = wm.Ref + " " + f.Rule
		} else {
			f.Rule = wm.Ref
		}
		if f.Explain != nil {
			x := *f.Explain
			x.Set = trace
			x.Verdict.Status = winV
			if err := x.Reseal(); err != nil {
				return nil, err
			}
			f.Explain, f.ExplainID = &x, x.ExplainID
		}
		out.Set.Members[win].Decided++
		if f.Enforced {
			raise(f.Verdict)
		}
		comb.Findings = append(comb.Findings, f)
	}
	for i, res := range results {
		m := members[i]
		if res == nil || !m.enforcing() {
			continue
		}
		for _, g := range res.Gates {
			g.Name = m.Ref + " " + g.Name
			if m.Mode == ir.EnforceWarn && g.Outcome == engine.GateBlock {
				g.Outcome = engine.GateWarn
			}
			switch g.Outcome {
			case engine.GateBlock:
				raise(engine.VerdictBlocked)
			case engine.GateWarn:
				raise(engine.VerdictWarned)
			}
			comb.Gates = append(comb.Gates, g)
		}
	}
	comb.Verdict = verdict
	comb.Shadow = shadow
	comb.Summary = engine.Summarize(comb.Findings)
	comb.Summary.Unchecked, comb.Summary.UncheckedByEcosystem = comb.Coverage.Unchecked(), comb.Coverage.UncheckedCounts()
	if err := comb.Seal(); err != nil {
		return nil, err
	}
	out.Result = comb
	return out, nil
}

// noneApplies is the error of a set run that no member applies to: it
// would gate nothing, so it must not pass (docs/governance.md "Evaluating a
// set"); a mistyped --env is the usual cause.
func noneApplies(ms []MemberInfo, env []engine.KV) error {
	why := make([]string, len(ms))
	for i, m := range ms {
		why[i] = m.Policy + " (" + m.Scope + ")"
		if m.Enforcement == ir.EnforceDisabled {
			why[i] = m.Policy + " (disabled)"
		}
	}
	kvs := make([]string, len(env))
	for i, kv := range env {
		kvs[i] = kv.Key + "=" + kv.Value
	}
	have := "no --env"
	if len(kvs) > 0 {
		have = "--env " + strings.Join(kvs, ",")
	}
	return fail.New(fail.Invalid, "no policy of the set applies to this run (%s), so it would gate nothing: %s", have, strings.Join(why, ", "))
}

// Digest is the identity of a set: the canonical JSON list of its members'
// references, IR digests and enforcement modes, in set order, and its
// digest (Info.Digest; a recorded set run stores the bytes as its policy).
func Digest(members []Member) ([]byte, string, error) {
	type ref struct {
		Policy, Digest, Enforcement string
	}
	refs := make([]ref, len(members))
	for i, m := range members {
		refs[i] = ref{m.Ref, m.Digest, m.Mode}
	}
	return canon.DigestOf(refs)
}

// effective is a member's verdict under its enforcement mode: a warn
// member's block is a warning.
func effective(mode, verdict string) string {
	if mode == ir.EnforceWarn && verdict == engine.VerdictBlocked {
		return engine.VerdictWarned
	}
	return verdict
}
