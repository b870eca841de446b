package engine

import (
	"fmt"
	"math/rand/v2"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// synthetic builds n findings with a fixed seed: varied severities, VEX
// statements (some conflicting), KEV and EPSS signals, reachability facts
// and exceptions, so that every code path of the engine runs.
func synthetic(n int) fixture {
	r := rand.New(rand.NewPCG(1, 2))
	scores := []string{"9.8", "8.1", "7.5", "5.3", "3.1", "0.0", ""}
	statuses := []string{"not_affected", "affected", "fixed", "under_investigation"}
	justs := []string{"component_not_present", "vulnerable_code_not_present", "inline_mitigations_already_exist", ""}
	issuers := []string{"VendorX", "VendorY", "Community"}
	states := []string{"U", "SR", "SU", "RO", "RU", "CR", "CU", "X"}
	var fx fixture
	fx.inputs.KEV = &model.KEV{}
	fx.inputs.EPSS = &model.EPSS{}
	ncomp := max(1, n/4)
	comps := make([]*model.Component, ncomp)
	for i := range comps {
		p := fmt.Sprintf("pkg:npm/pkg%d@1.%d.0", i, i%7)
		comps[i] = &model.Component{Ref: fmt.Sprintf("ref-%d", i), Purl: p, Type: "npm", Name: fmt.Sprintf("pkg%d", i),
			Package: fmt.Sprintf("pkg%d", i), Version: fmt.Sprintf("1.%d.0", i%7), Ecosystem: "npm", SBOM: "sha256:synthetic"}
		if i%5 == 0 {
			comps[i].Tags = []string{"runtime:eol"}
		}
		if i%3 == 0 {
			fx.inputs.Reach = append(fx.inputs.Reach, model.Reach{Purl: fmt.Sprintf("pkg:npm/pkg%d", i),
				State: states[r.IntN(len(states))], Score: decimal.Int(int64(r.IntN(100))).Mul(decimal.MustParse("0.01"))})
		}
	}
	for i := range n {
		c := comps[i%ncomp]
		cve := fmt.Sprintf("CVE-2024-%05d", i)
		a := &model.Advisory{ID: fmt.Sprintf("GHSA-%05d", i), Aliases: []string{cve}, Source: []string{"GHSA", "OSV", "VendorX"}[i%3],
			Affected: []model.Affected{{Ecosystem: "npm", Name: c.Package, Ranges: []model.Range{{Type: "SEMVER",
				Events: []model.Event{{Introduced: "0"}, {Fixed: "9.9.9"}}}}}}}
		if s := scores[r.IntN(len(scores))]; s != "" {
			a.Severity = []model.Severity{{Type: "CVSS_V3", Score: s}}
		} else {
			a.DBSeverity = []string{"HIGH", "MODERATE", ""}[r.IntN(3)]
		}
		p := match.Pair{Component: c, Advisory: a, Aliases: []string{cve}, Range: "introduced 0, fixed 9.9.9"}
		for k := range r.IntN(4) {
			p.VEX = append(p.VEX, &model.VEXStatement{ID: fmt.Sprintf("vex-%d-%d", i, k), Format: "openvex", Document: "doc",
				Issuer: issuers[r.IntN(len(issuers))], Timestamp: fmt.Sprintf("2025-0%d-01T00:00:00Z", 1+r.IntN(5)),
				Vulnerability: cve, Status: statuses[r.IntN(len(statuses))], Justification: justs[r.IntN(len(justs))]})
		}
		fx.pairs = append(fx.pairs, p)
		if i%7 == 0 {
			fx.inputs.KEV.Entries = append(fx.inputs.KEV.Entries, model.KEVEntry{CVE: cve, DateAdded: "2024-03-01"})
		}
		if i%2 == 0 {
			fx.inputs.EPSS.Scores = append(fx.inputs.EPSS.Scores, model.EPSSScore{CVE: cve,
				Score: decimal.Int(int64(r.IntN(1000))).Mul(decimal.MustParse("0.001")), Percentile: decimal.MustParse("0.5")})
		}
		if i%50 == 0 {
			fx.inputs.Exceptions = append(fx.inputs.Exceptions, model.Exception{ID: fmt.Sprintf("EXC-%d", i), Vulns: []string{cve},
				Effect: []string{"suppress", "defer", "downgrade"}[i%3], Severity: "Low", Status: "approved", Owner: "o",
				Justification: "j", Expires: []string{"2025-12-31T00:00:00Z", "2025-01-31T00:00:00Z"}[i%2]})
		}
	}
	fx.env = []KV{{Key: "exposure", Value: "internet"}, {Key: "runtime", Value: "legacy"}, {Key: "deployment", Value: "canary"}}
	fx.pol = twentyRules()
	return fx
}

// twentyRules is a 20-rule policy in the style of the published examples.
func twentyRules() *ir.Policy {
	sev := ref("severity", "normalized")
	rules := []ir.Rule{
		rule("alert_eol", prio(1), and(band(ir.OpLe, sev, "Medium"), call("sbom.has_tag", str("runtime:eol"))), warn("EOL runtime")),
		rule("block_kev", prio(2), call("advisory.has_tag", str("kev")), setStatus(str("blocked"))),
		rule("block_critical", prio(5), band(ir.OpGe, sev, "Critical"), setStatus(str("blocked"))),
		rule("escalate_high_internet", nil, and(band(ir.OpEq, sev, "High"), eq(ref("env", "exposure"), str("internet"))),
			escalate(call("severity_band", str("Critical")))),
		rule("require_vex", nil, and(call("vex.any", in(elem("status"), list(str("not_affected"), str("fixed")))),
			in(ref("vex", "justification"), list(str("component_not_present"), str("vulnerable_code_not_present")))),
			setStatus(ref("vex", "status")), annotate("winning_statement", member(call("vex.latest"), "statementId"))),
		rule("zero_tolerance", prio(3), call("vex.any", eq(elem("status"), str("not_affected"))),
			requireVex([]string{"VendorX", "VendorY"}, []string{"component_not_present", "vulnerable_code_not_present"})),
		rule("quiet_canary", nil, and(eq(ref("env", "deployment"), str("canary")), band(ir.OpEq, sev, "Medium")),
			ignoreUntil(call("coalesce", ref("env", "quietUntil"), str("2025-12-31T00:00:00Z")))),
		rule("quiet_low", nil, band(ir.OpLe, sev, "Low"), ignoreUntil(str("2025-01-01T00:00:00Z"))),
		rule("epss_hot", prio(4), cmpx(ir.OpGe, ir.CmpNumber, ref("signals", "epss"), num("0.9")), setStatus(str("blocked"))),
		rule("reach_confirmed", prio(6), eq(call("coalesce", ref("reachability", "state"), str("U")), str("CR")), escalate(num("9.5"))),
		rule("unreachable", prio(7), in(ref("reachability", "state"), list(str("CU"), str("SU"))), setSeverity(str("Low"))),
		rule("risk_high", prio(8), cmpx(ir.OpGe, ir.CmpNumber, call("risk_score"), num("80")), annotate("risk", call("risk_score"))),
		rule("warn_investigating", nil, call("vex.any", eq(elem("status"), str("under_investigation"))), warn("under investigation")),
		rule("legacy_runtime", nil, and(eq(ref("env", "runtime"), str("legacy")), call("exists", ref("severity", "score"))),
			annotate("legacy", boolean(true))),
		rule("unknown_severity", nil, not(call("exists", ref("severity", "score"))), warn("unknown severity")),
		rule("ghsa_source", nil, eq(ref("advisory", "source"), str("GHSA")), annotate("source", ref("advisory", "source"))),
		rule("all_fixed", nil, call("vex.all", eq(elem("status"), str("fixed"))), setStatus(str("fixed"))),
		rule("percent", nil, cmpx(ir.OpGt, ir.CmpNumber, call("percent_of", ref("vex", "count"), num("4")), num("50")), warn("many statements")),
		rule("lower_name", nil, eq(call("lowercase", ref("sbom", "name")), str("pkg1")), annotate("first", boolean(true))),
		rule("block_high_else", nil, band(ir.OpGe, sev, "High"), setStatus(str("blocked"))),
	}
	p := policy(rules...)
	p.Profiles = []ir.Profile{{Name: "severity",
		Maps: []ir.Map{{Name: "vendor_weight", Entries: []ir.MapEntry{{Key: "source", Match: "GHSA", Delta: decimal.MustParse("0.5")},
			{Key: "source", Match: "VendorX", Delta: decimal.MustParse("-0.2")}}}},
		Envs: []ir.Env{{Name: "exposure", Entries: []ir.EnvEntry{{When: eq(ref("env", "exposure"), str("internet")), Delta: decimal.MustParse("0.5")}}}}}}
	p.Settings = ir.Fields{setting("max_critical", vnum("10")), setting("unknowns_budget", vnum("100"))}
	return p
}
