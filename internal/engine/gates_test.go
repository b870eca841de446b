package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

func TestExceptions(t *testing.T) {
	c := component("pkg:npm/lib@1.0.0", "1.0.0")
	a := advisory("GHSA-1", "9.8", "CVE-2024-1")
	block := policy(rule("block", nil, band(ir.OpGe, ref("severity", "normalized"), "High"), setStatus(str("blocked"))))
	exc := func(id, effect, status, from, to string, vulns, purls []string) model.Exception {
		return model.Exception{ID: id, Vulns: vulns, Purls: purls, Effect: effect, Status: status, Effective: from, Expires: to,
			Owner: "team", Justification: "j", Severity: "Medium"}
	}
	in := []string{"CVE-2024-1"}
	cases := []struct {
		name    string
		excs    []model.Exception
		verdict string
		band    string
		winner  string
		states  []string // id:state of every exception in scope
	}{
		{"none", nil, "blocked", "Critical", "", nil},
		{"suppress inside its timebox quiets", []model.Exception{exc("E1", "suppress", "approved", "2025-01-01T00:00:00Z", "2025-07-01T00:00:00Z", in, nil)},
			"quieted", "Critical", "E1", []string{"E1:applied"}},
		{"expired does not apply", []model.Exception{exc("E1", "suppress", "approved", "2025-01-01T00:00:00Z", "2025-05-01T00:00:00Z", in, nil)},
			"blocked", "Critical", "", []string{"E1:expired"}},
		{"expiring exactly at the evaluation time has expired", []model.Exception{exc("E1", "suppress", "approved", "", "2025-06-01T00:00:00Z", in, nil)},
			"blocked", "Critical", "", []string{"E1:expired"}},
		{"not yet effective", []model.Exception{exc("E1", "suppress", "approved", "2025-06-02T00:00:00Z", "2025-07-01T00:00:00Z", in, nil)},
			"blocked", "Critical", "", []string{"E1:not_yet_effective"}},
		{"not approved", []model.Exception{exc("E1", "suppress", "requested", "", "2025-07-01T00:00:00Z", in, nil)},
			"blocked", "Critical", "", []string{"E1:not_approved"}},
		{"out of scope", []model.Exception{exc("E1", "suppress", "approved", "", "2025-07-01T00:00:00Z", []string{"CVE-1999-1"}, nil)},
			"blocked", "Critical", "", nil},
		{"downgrade lowers the band before rules run", []model.Exception{exc("E1", "downgrade", "approved", "", "2025-07-01T00:00:00Z", nil, []string{"pkg:npm/lib"})},
			"passed", "Medium", "E1", []string{"E1:applied"}},
		{"defer turns a block into a warning", []model.Exception{exc("E1", "defer", "approved", "", "2025-07-01T00:00:00Z", in, nil)},
			"warned", "Critical", "E1", []string{"E1:applied"}},
		{"the more specific scope wins", []model.Exception{
			exc("E1", "defer", "approved", "", "2025-07-01T00:00:00Z", in, []string{"pkg:npm/lib@1.0.0"}),
			exc("E2", "suppress", "approved", "", "2025-07-01T00:00:00Z", nil, []string{"pkg:npm/*"})},
			"warned", "Critical", "E1", []string{"E1:applied", "E2:outranked"}},
		{"at equal scope the stronger effect wins", []model.Exception{
			exc("E1", "defer", "approved", "", "2025-07-01T00:00:00Z", in, nil),
			exc("E2", "suppress", "approved", "", "2025-08-01T00:00:00Z", in, nil)},
			"quieted", "Critical", "E2", []string{"E1:outranked", "E2:applied"}},
		{"a purl pattern without a package type is a blanket waiver: invalid", []model.Exception{exc("E1", "suppress", "approved", "", "2025-07-01T00:00:00Z", nil, []string{"pkg:*"})},
			"blocked", "Critical", "", []string{"E1:invalid"}},
		{"a purl pattern is compared as component purls are spelled", []model.Exception{exc("E1", "suppress", "approved", "", "2025-07-01T00:00:00Z", nil, []string{"pkg:NPM/%6Cib@1.0.0"})},
			"quieted", "Critical", "E1", []string{"E1:applied"}},
		{"then the earlier expiry", []model.Exception{
			exc("E2", "suppress", "approved", "", "2025-08-01T00:00:00Z", in, nil),
			exc("E1", "suppress", "approved", "", "2025-09-01T00:00:00Z", in, nil)},
			"quieted", "Critical", "E2", []string{"E1:outranked", "E2:applied"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := one(t, block, pairOf(c, a), withInputs(func(in *model.Inputs) { in.Exceptions = tc.excs }))
			winner := ""
			if f.Exception != nil {
				winner = f.Exception.ID
			}
			var states []string
			for _, e := range f.Explain.Evidence.Exceptions {
				states = append(states, e.ID+":"+e.State)
			}
			if f.Verdict != tc.verdict || f.Severity.Band != tc.band || winner != tc.winner || !slices.Equal(states, tc.states) {
				t.Errorf("got %s %s winner %q states %v; want %s %s %q %v", f.Verdict, f.Severity.Band, winner, states,
					tc.verdict, tc.band, tc.winner, tc.states)
			}
		})
	}
}

// TestScopedExceptions: an exception scoped to a registered policy applies
// to that policy's runs only; the trace of any other run lists it as
// other_policy (docs/dsl.md "Exceptions").
func TestScopedExceptions(t *testing.T) {
	c := component("pkg:npm/lib@1.0.0", "1.0.0")
	a := advisory("GHSA-1", "9.8", "CVE-2024-1")
	block := policy(rule("block", nil, band(ir.OpGe, ref("severity", "normalized"), "High"), setStatus(str("blocked"))))
	exc := func(policy string) model.Exception {
		return model.Exception{ID: "E1", Vulns: []string{"CVE-2024-1"}, Effect: "suppress", Status: "approved", Expires: "2025-07-01T00:00:00Z",
			Owner: "team", Justification: "j", Policy: policy}
	}
	cases := []struct {
		name, registered, policy, verdict, state string
	}{
		{"scoped to the policy run applies", "P-1", "P-1", "quieted", "applied"},
		{"scoped to another policy does not", "P-2", "P-1", "blocked", "other_policy"},
		{"a policy file gets no scoped exception", "", "P-1", "blocked", "other_policy"},
		{"unscoped applies to every policy", "P-2", "", "quieted", "applied"},
		{"and to a policy file", "", "", "quieted", "applied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := one(t, block, pairOf(c, a), withInputs(func(in *model.Inputs) { in.Exceptions = []model.Exception{exc(tc.policy)} }),
				func(fx *fixture) { fx.registered = tc.registered })
			ev := f.Explain.Evidence.Exceptions
			if f.Verdict != tc.verdict || len(ev) != 1 || ev[0].State != tc.state {
				t.Fatalf("got %s %+v; want %s with E1 %s", f.Verdict, ev, tc.verdict, tc.state)
			}
			if tc.state == "other_policy" && ev[0].Detail != "for policy P-1 only" {
				t.Errorf("detail %q", ev[0].Detail)
			}
		})
	}
}

// gateFixture has four findings: a blocked Critical, a warned High, a
// passed Medium and a passed one of unknown severity; the High one is in KEV
// and has an EPSS score; none has a VEX statement or reachability fact.
func gateFixture(settings ...ir.Field) fixture {
	pol := policy(
		rule("block_critical", prio(1), band(ir.OpGe, ref("severity", "normalized"), "Critical"), setStatus(str("blocked"))),
		rule("warn_high", prio(2), band(ir.OpEq, ref("severity", "normalized"), "High"), warn("high")),
	)
	pol.Settings = settings
	return fixture{
		pol: pol,
		pairs: []match.Pair{
			pairOf(component("pkg:npm/a@1", "1"), advisory("GHSA-a", "9.8")),
			pairOf(component("pkg:npm/b@1", "1"), advisory("GHSA-b", "7.5", "CVE-2024-2")),
			pairOf(component("pkg:npm/c@1", "1"), advisory("GHSA-c", "5.0")),
			pairOf(component("pkg:npm/d@1", "1"), advisory("GO-d", "")),
		},
		inputs: model.Inputs{
			KEV:  &model.KEV{Entries: []model.KEVEntry{{CVE: "CVE-2024-2", DateAdded: "2024-01-01"}}},
			EPSS: &model.EPSS{Scores: []model.EPSSScore{{CVE: "CVE-2024-2", Score: decimalOf("0.9"), Percentile: decimalOf("0.99")}}},
		},
	}
}

func TestGates(t *testing.T) {
	type g struct {
		name, outcome, observed string
	}
	cases := []struct {
		name     string
		settings []ir.Field
		verdict  string
		gates    []g
	}{
		{"no gates: a blocked finding blocks the run", nil, "blocked", nil},
		{"max_high within", []ir.Field{setting("max_high", vnum("1"))}, "blocked", []g{{GateMaxHigh, "pass", "1"}}},
		{"max_high exceeded", []ir.Field{setting("max_high", vnum("0"))}, "blocked", []g{{GateMaxHigh, "block", "1"}}},
		{"max_medium counts only blocked or warned findings", []ir.Field{setting("max_medium", vnum("0"))}, "blocked", []g{{GateMaxMedium, "pass", "0"}}},
		// unknowns_budget counts unknown severity; the other kinds have their own budgets.
		{"unknowns budget: one unknown severity, none allowed", []ir.Field{setting("unknowns_budget", vnum("0"))}, "blocked", []g{{GateUnknowns, "block", "1"}}},
		{"unknowns budget: one unknown severity allowed", []ir.Field{setting("unknowns_budget", vnum("1"))}, "blocked", []g{{GateUnknowns, "pass", "1"}}},
		{"unknowns budgets per kind, in gate order", []ir.Field{
			setting("unknowns_budget_epss", vnum("2")), setting("unknowns_budget_reachability", vnum("3")),
			setting("unknowns_budget_vex", vnum("10")), setting("unknowns_budget", vnum("5")),
		}, "blocked", []g{{GateUnknowns, "pass", "1"}, {GateUnknownsVEX, "pass", "4"}, {GateUnknownsReach, "block", "4"}, {GateUnknownsEPSS, "block", "3"}}},
		// warn does not decide the status, so settings still apply to the High finding.
		{"score threshold blocks undecided findings", []ir.Field{setting("score_threshold", vnum("5"))}, "blocked", []g{{GateScore, "block", "2"}}},
		{"score threshold above every undecided score", []ir.Field{setting("score_threshold", vnum("8"))}, "blocked", []g{{GateScore, "pass", "0"}}},
		{"epss threshold warns", []ir.Field{setting("epss_threshold", vnum("0.5"))}, "blocked", []g{{GateEPSS, "warn", "1"}}},
		{"kev blocker", []ir.Field{setting("block_kev", vbool(true))}, "blocked", []g{{GateKEV, "block", "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := gateFixture(tc.settings...).run(t)
			var got []g
			for _, gt := range res.Gates {
				got = append(got, g{gt.Name, gt.Outcome, gt.Observed.String()})
			}
			if res.Verdict != tc.verdict || !slices.Equal(got, tc.gates) {
				t.Errorf("verdict %s gates %v; want %s %v", res.Verdict, got, tc.verdict, tc.gates)
			}
		})
	}
}

func TestGateBlocksRunWithoutBlockedFinding(t *testing.T) {
	fx := gateFixture(setting("max_high", vnum("0")))
	fx.pol.Rules = fx.pol.Rules[1:] // only warn_high: no finding is blocked
	res := fx.run(t)
	if res.Summary.ByVerdict.Blocked != 0 || res.Verdict != VerdictBlocked {
		t.Fatalf("blocked findings %d, verdict %s; want 0 and blocked", res.Summary.ByVerdict.Blocked, res.Verdict)
	}
	fx = gateFixture()
	fx.pol.Rules = fx.pol.Rules[1:]
	if res := fx.run(t); res.Verdict != VerdictWarned {
		t.Fatalf("verdict %s, want warned", res.Verdict)
	}
}

func TestNewFindingsOnly(t *testing.T) {
	fx := gateFixture(setting("new_findings_only", vbool(true)))
	base := fx.run(t) // blocks GHSA-a
	fx.at = at.Add(time.Hour)
	res, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, At: fx.at, Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Gates[0]; g.Outcome != GateWarn || g.Observed != 0 || res.Verdict != VerdictWarned {
		t.Errorf("known block: gate %+v, verdict %s; want warn, 0, warned", g, res.Verdict)
	}
	// A policy that also blocks High adds a new block.
	fx.pol.Rules[1].Then = []ir.Action{setStatus(str("blocked"))}
	res, err = Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, At: fx.at, Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Gates[0]; g.Outcome != GateBlock || g.Observed != decimalOf("1") || res.Verdict != VerdictBlocked {
		t.Errorf("new block: gate %+v, verdict %s; want block, 1, blocked", g, res.Verdict)
	}
}

func TestShadow(t *testing.T) {
	fx := gateFixture(setting("shadow", vbool(true)))
	res := fx.run(t)
	if !res.Shadow || res.Findings[0].Enforced {
		t.Fatalf("shadow %v, enforced %v", res.Shadow, res.Findings[0].Enforced)
	}
}

// TestCostLimit: rules × findings over MaxRuleEvaluations is refused before
// any rule runs, exit 2, naming the limit (issue 20 row 8).
func TestCostLimit(t *testing.T) {
	c := component("pkg:npm/lib@1.0.0", "1.0.0")
	a := advisory("GHSA-1", "9.8")
	var rules []ir.Rule
	for i := range 1000 {
		rules = append(rules, rule(fmt.Sprintf("r%d", i), nil, band(ir.OpGe, ref("severity", "normalized"), "High"), setStatus(str("blocked"))))
	}
	pairs := make([]match.Pair, MaxRuleEvaluations/1000+1)
	for i := range pairs {
		pairs[i] = pairOf(c, a)
	}
	_, err := Evaluate(context.Background(), Request{Policy: policy(rules...), Inputs: &model.Inputs{}, Match: &match.Result{Pairs: pairs}, At: at})
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "evaluation cost limit: 1000 rules × 5001 findings = 5001000 rule evaluations, over the limit of 5000000") {
		t.Fatalf("err = %v", err)
	}
}

// TestEPSSAliasGroup: an advisory whose alias group holds several scored
// CVEs takes the highest score (docs/dsl.md "Signals and reachability"):
// the finding is as likely to be exploited as its most exploited id, and
// an epss_threshold gate must not pass it on the lower score of the CVE
// that sorts first.
func TestEPSSAliasGroup(t *testing.T) {
	pol := policy(rule("noop", prio(1), band(ir.OpGe, ref("severity", "normalized"), "Critical"), warn("x")))
	pol.Settings = []ir.Field{setting("epss_threshold", vnum("0.5"))}
	fx := fixture{pol: pol,
		pairs: []match.Pair{pairOf(component("pkg:npm/a@1", "1"), advisory("GHSA-a", "5.0", "CVE-2024-1", "CVE-2024-2"))},
		inputs: model.Inputs{EPSS: &model.EPSS{Scores: []model.EPSSScore{
			{CVE: "CVE-2024-1", Score: decimalOf("0.01"), Percentile: decimalOf("0.2")},
			{CVE: "CVE-2024-2", Score: decimalOf("0.9"), Percentile: decimalOf("0.99")}}}},
	}
	res := fx.run(t)
	s := res.Findings[0].Signals
	if s.EPSS == nil || s.EPSS.String() != "0.9" || s.EPSSPercentile.String() != "0.99" || s.EPSSCVE != "CVE-2024-2" {
		t.Fatalf("signals %+v", s)
	}
	if res.Gates[0].Name != GateEPSS || res.Gates[0].Outcome != GateWarn || res.Verdict != VerdictWarned {
		t.Fatalf("gates %+v verdict %s", res.Gates, res.Verdict)
	}
}
