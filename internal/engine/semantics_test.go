package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

func withEnv(kv ...string) func(*fixture) {
	return func(fx *fixture) {
		for i := 0; i+1 < len(kv); i += 2 {
			fx.env = append(fx.env, KV{Key: kv[i], Value: kv[i+1]})
		}
	}
}

func withInputs(f func(*model.Inputs)) func(*fixture) {
	return func(fx *fixture) { f(&fx.inputs) }
}

func withAt(t time.Time) func(*fixture) { return func(fx *fixture) { fx.at = t } }

// TestSemantics checks each rule of docs/dsl.md "4. Evaluation" on one finding.
func TestSemantics(t *testing.T) {
	critical := advisory("GHSA-1", "9.8")
	high := advisory("GHSA-1", "7.5")
	medium := advisory("GHSA-1", "5.0")
	low := advisory("GHSA-1", "2.0")
	noScore := advisory("GHSA-1", "")
	c := component("pkg:npm/lib@1.0.0", "1.0.0")
	notAff := stmt("s1", "VendorX", "2025-01-01T00:00:00Z", "not_affected", "component_not_present")

	type want struct {
		verdict, vex, band, rule string
		chain                    []string
		warnings                 []string
		notes                    string // substring of some note
	}
	cases := []struct {
		name string
		pol  *ir.Policy
		pair func() pairArgs
		opts []func(*fixture)
		want want
	}{
		{
			name: "first status wins and later status is shadowed",
			pol: policy(
				rule("a_block", prio(1), band(ir.OpGe, ref("severity", "normalized"), "High"), setStatus(str("blocked"))),
				rule("b_pass", prio(2), boolean(true), setStatus(str("not_affected"))),
			),
			pair: args(c, critical),
			want: want{verdict: "blocked", vex: "unknown", band: "Critical", rule: "a_block",
				chain: []string{"a_block:matched", "b_pass:shadowed"}},
		},
		{
			name: "unprioritised rules run after prioritised ones, then by name",
			pol: policy(
				rule("a_unprio", nil, boolean(true), setStatus(str("blocked"))),
				rule("z_prio", prio(10), boolean(true), setStatus(str("warned"))),
			),
			pair: args(c, critical),
			want: want{verdict: "warned", vex: "unknown", band: "Critical", rule: "z_prio",
				chain: []string{"z_prio:matched", "a_unprio:shadowed"}},
		},
		{
			name: "no rule decides: passed",
			pol:  policy(rule("r", nil, boolean(false), setStatus(str("blocked")))),
			pair: args(c, medium),
			want: want{verdict: "passed", vex: "unknown", band: "Medium", chain: []string{"r:not_matched"}},
		},
		{
			name: "default_status applies when no rule decides",
			pol: func() *ir.Policy {
				p := policy(rule("r", nil, boolean(false), setStatus(str("blocked"))))
				p.Settings = ir.Fields{setting("default_status", vstr("warned"))}
				return p
			}(),
			pair: args(c, medium),
			want: want{verdict: "warned", vex: "unknown", band: "Medium", rule: "settings.default_status", chain: []string{"r:not_matched"}},
		},
		{
			name: "else runs when the condition is false",
			pol: policy(ir.Rule{Name: "r", When: band(ir.OpGe, ref("severity", "normalized"), "Critical"),
				Then: []ir.Action{setStatus(str("blocked"))}, Else: []ir.Action{warn("not critical")}, Because: "x"}),
			pair: args(c, high),
			want: want{verdict: "warned", vex: "unknown", band: "High", chain: []string{"r:not_matched"}, warnings: []string{"not critical"}},
		},
		{
			name: "else runs when the condition is null",
			pol: policy(ir.Rule{Name: "r", When: ref("signals", "kev"),
				Then: []ir.Action{setStatus(str("blocked"))}, Else: []ir.Action{setStatus(str("warned"))}, Because: "x"}),
			pair: args(c, high),
			want: want{verdict: "warned", vex: "unknown", band: "High", rule: "r", chain: []string{"r:not_matched"}},
		},
		{
			name: "warn accumulates and makes the verdict warned",
			pol: policy(
				rule("w1", prio(1), boolean(true), warn("one")),
				rule("w2", prio(2), boolean(true), warn("")),
			),
			pair: args(c, low),
			want: want{verdict: "warned", vex: "unknown", band: "Low", chain: []string{"w1:matched", "w2:matched"},
				warnings: []string{"one", "because w2"}},
		},
		{
			name: "warn does not undo a block",
			pol: policy(
				rule("w", prio(1), boolean(true), warn("careful")),
				rule("b", prio(2), boolean(true), setStatus(str("blocked"))),
			),
			pair: args(c, low),
			want: want{verdict: "blocked", vex: "unknown", band: "Low", rule: "b", chain: []string{"w:matched", "b:matched"}, warnings: []string{"careful"}},
		},
		{
			name: "warn after not_affected still warns (warned unless blocked)",
			pol: policy(
				rule("vex", prio(1), call("vex.any", eq(elem("status"), str("not_affected"))), setStatus(ref("vex", "status"))),
				rule("w", prio(2), boolean(true), warn("eol")),
			),
			pair: args(c, high, notAff),
			want: want{verdict: "warned", vex: "not_affected", band: "High", rule: "vex", chain: []string{"vex:matched", "w:matched"}, warnings: []string{"eol"}},
		},
		{
			name: "status := vex.status sets the VEX axis and passes",
			pol: policy(rule("vex", nil, and(call("vex.any", in(elem("status"), list(str("not_affected"), str("fixed")))),
				in(ref("vex", "justification"), list(str("component_not_present")))),
				setStatus(ref("vex", "status")), annotate("winning", member(call("vex.latest"), "statementId")))),
			pair: args(c, critical, notAff),
			want: want{verdict: "passed", vex: "not_affected", band: "Critical", rule: "vex", chain: []string{"vex:matched"}},
		},
		{
			name: "status := null is not applied and does not decide",
			pol: policy(
				rule("a", prio(1), boolean(true), setStatus(ref("vex", "status"))),
				rule("b", prio(2), boolean(true), setStatus(str("blocked"))),
			),
			pair: args(c, low),
			want: want{verdict: "blocked", vex: "unknown", band: "Low", rule: "b", chain: []string{"a:matched", "b:matched"}},
		},
		{
			name: "requireVex rejects untrusted not_affected statements from then on",
			pol: policy(
				rule("req", prio(1), boolean(true), requireVex([]string{"VendorY"}, []string{"component_not_present"})),
				rule("vex", prio(2), call("vex.any", eq(elem("status"), str("not_affected"))), setStatus(str("not_affected"))),
				rule("block", prio(3), boolean(true), setStatus(str("blocked"))),
			),
			pair: args(c, high, notAff),
			want: want{verdict: "blocked", vex: "unknown", band: "High", rule: "block",
				chain: []string{"req:matched", "vex:not_matched", "block:matched"}},
		},
		{
			name: "requireVex keeps a matching statement",
			pol: policy(
				rule("req", prio(1), boolean(true), requireVex([]string{"vendorx"}, nil)),
				rule("vex", prio(2), call("vex.any", eq(elem("status"), str("not_affected"))), setStatus(str("not_affected"))),
			),
			pair: args(c, high, notAff),
			want: want{verdict: "passed", vex: "not_affected", band: "High", rule: "vex", chain: []string{"req:matched", "vex:matched"}},
		},
		{
			name: "ignore until a future time quiets",
			pol:  policy(rule("q", nil, boolean(true), ignoreUntil(str("2025-12-31T00:00:00Z")))),
			pair: args(c, medium),
			want: want{verdict: "quieted", vex: "unknown", band: "Medium", rule: "q", chain: []string{"q:matched"}},
		},
		{
			name: "ignore until a past time has no effect and the trace says it expired",
			pol: policy(
				rule("q", prio(1), boolean(true), ignoreUntil(str("2025-01-01T00:00:00Z"))),
				rule("b", prio(2), boolean(true), setStatus(str("blocked"))),
			),
			pair: args(c, medium),
			want: want{verdict: "blocked", vex: "unknown", band: "Medium", rule: "b", chain: []string{"q:matched", "b:matched"},
				notes: "expired"},
		},
		{
			name: "ignore until exactly the evaluation time has expired",
			pol:  policy(rule("q", nil, boolean(true), ignoreUntil(str("2025-06-01T00:00:00Z")))),
			pair: args(c, medium),
			want: want{verdict: "passed", vex: "unknown", band: "Medium", chain: []string{"q:matched"}, notes: "expired"},
		},
		{
			name: "ignore until coalesce(env...) reads the env",
			pol: policy(rule("q", nil, boolean(true),
				ignoreUntil(call("coalesce", ref("env", "quietUntil"), str("2025-01-01T00:00:00Z"))))),
			pair: args(c, medium),
			opts: []func(*fixture){withEnv("QuietUntil", "2026-01-01T00:00:00Z")},
			want: want{verdict: "quieted", vex: "unknown", band: "Medium", rule: "q", chain: []string{"q:matched"}},
		},
		{
			name: "ignore without until ignores",
			pol:  policy(rule("i", nil, boolean(true), ignore())),
			pair: args(c, medium),
			want: want{verdict: "ignored", vex: "unknown", band: "Medium", rule: "i", chain: []string{"i:matched"}},
		},
		{
			name: "escalate raises",
			pol: policy(
				rule("esc", prio(1), band(ir.OpEq, ref("severity", "normalized"), "High"), escalate(call("severity_band", str("Critical")))),
				rule("block", prio(2), band(ir.OpGe, ref("severity", "normalized"), "Critical"), setStatus(str("blocked"))),
			),
			pair: args(c, high),
			want: want{verdict: "blocked", vex: "unknown", band: "Critical", rule: "block", chain: []string{"esc:matched", "block:matched"}},
		},
		{
			name: "escalate never lowers",
			pol:  policy(rule("esc", nil, boolean(true), escalate(str("Low")))),
			pair: args(c, critical),
			want: want{verdict: "passed", vex: "unknown", band: "Critical", chain: []string{"esc:matched"}},
		},
		{
			name: "severity := may lower",
			pol:  policy(rule("sev", nil, boolean(true), setSeverity(str("Low")))),
			pair: args(c, critical),
			want: want{verdict: "passed", vex: "unknown", band: "Low", chain: []string{"sev:matched"}},
		},
		{
			name: "comparisons with null are false, != included",
			pol: policy(
				rule("a", prio(1), cmpx(ir.OpNe, ir.CmpString, ref("env", "missing"), str("x")), setStatus(str("blocked"))),
				rule("b", prio(2), cmpx(ir.OpLt, ir.CmpNumber, ref("signals", "epss"), num("0.5")), setStatus(str("blocked"))),
				rule("c", prio(3), band(ir.OpLe, ref("severity", "normalized"), "Critical"), setStatus(str("blocked"))),
				rule("d", prio(4), not(eq(ref("env", "missing"), str("x"))), setStatus(str("warned"))),
			),
			pair: args(c, noScore),
			want: want{verdict: "warned", vex: "unknown", band: "Unknown", rule: "d",
				chain: []string{"a:not_matched", "b:not_matched", "c:not_matched", "d:matched"}},
		},
		{
			name: "not of null stays null; exists tests presence",
			pol: policy(
				rule("a", prio(1), not(ref("signals", "kev")), setStatus(str("blocked"))),
				rule("b", prio(2), not(call("exists", ref("signals", "kev"))), setStatus(str("warned"))),
			),
			pair: args(c, low),
			want: want{verdict: "warned", vex: "unknown", band: "Low", rule: "b", chain: []string{"a:not_matched", "b:matched"}},
		},
		{
			name: "and/or with null are three-valued",
			pol: policy(
				rule("a", prio(1), or(ref("signals", "kev"), boolean(true)), annotate("or", boolean(true))),
				rule("b", prio(2), not(and(ref("signals", "kev"), boolean(false))), setStatus(str("blocked"))),
			),
			pair: args(c, low),
			want: want{verdict: "blocked", vex: "unknown", band: "Low", rule: "b", chain: []string{"a:matched", "b:matched"}},
		},
		{
			name: "bands compare by order, never lexically",
			pol: policy(
				rule("a", prio(1), band(ir.OpGt, ref("severity", "normalized"), "Critical"), setStatus(str("blocked"))),
				rule("b", prio(2), band(ir.OpLt, ref("severity", "normalized"), "low"), setStatus(str("blocked"))),
				rule("c", prio(3), band(ir.OpGt, ref("severity", "normalized"), "Medium"), setStatus(str("warned"))),
			),
			pair: args(c, high),
			want: want{verdict: "warned", vex: "unknown", band: "High", rule: "c", chain: []string{"a:not_matched", "b:not_matched", "c:matched"}},
		},
		{
			name: "database severity word when there is no CVSS",
			pol:  policy(rule("r", nil, band(ir.OpEq, ref("severity", "normalized"), "High"), setStatus(str("blocked")))),
			pair: func() pairArgs {
				a := advisory("GHSA-1", "")
				a.DBSeverity = "HIGH"
				return pairArgs{c: c, a: a}
			},
			want: want{verdict: "blocked", vex: "unknown", band: "High", rule: "r", chain: []string{"r:matched"}},
		},
		{
			name: "KEV becomes the advisory tag and signals.kev",
			pol: policy(
				rule("a", prio(1), and(call("advisory.has_tag", str("kev")), cmpx(ir.OpEq, ir.CmpBool, ref("signals", "kev"), boolean(true))), setStatus(str("blocked"))),
			),
			pair: args(c, advisory("GHSA-1", "5.0", "CVE-2021-1")),
			opts: []func(*fixture){withInputs(func(in *model.Inputs) {
				in.KEV = &model.KEV{Entries: []model.KEVEntry{{CVE: "CVE-2021-1", DateAdded: "2021-11-03"}}}
			})},
			want: want{verdict: "blocked", vex: "unknown", band: "Medium", rule: "a", chain: []string{"a:matched"}},
		},
		{
			name: "block_kev blocks an undecided KEV finding",
			pol: func() *ir.Policy {
				p := policy()
				p.Settings = ir.Fields{setting("block_kev", vbool(true))}
				return p
			}(),
			pair: args(c, advisory("GHSA-1", "5.0", "CVE-2021-1")),
			opts: []func(*fixture){withInputs(func(in *model.Inputs) {
				in.KEV = &model.KEV{Entries: []model.KEVEntry{{CVE: "CVE-2021-1", DateAdded: "2021-11-03"}}}
			})},
			want: want{verdict: "blocked", vex: "unknown", band: "Medium", rule: "settings.block_kev"},
		},
		{
			name: "profile map and env deltas adjust the score",
			pol: func() *ir.Policy {
				p := policy(rule("r", nil, band(ir.OpGe, ref("severity", "normalized"), "High"), setStatus(str("blocked"))))
				p.Profiles = []ir.Profile{{Name: "severity",
					Maps: []ir.Map{{Name: "vendor_weight", Entries: []ir.MapEntry{{Key: "source", Match: "GHSA", Delta: decimalOf("0.5")}}}},
					Envs: []ir.Env{{Name: "exposure", Entries: []ir.EnvEntry{{When: eq(ref("env", "exposure"), str("internet")), Delta: decimalOf("1.0")}}}}}}
				return p
			}(),
			pair: args(c, advisory("GHSA-1", "5.6")),
			opts: []func(*fixture){withEnv("exposure", "internet")},
			want: want{verdict: "blocked", vex: "unknown", band: "High", rule: "r", chain: []string{"r:matched"}},
		},
		{
			name: "profile deltas clamp at 10",
			pol: func() *ir.Policy {
				p := policy(rule("r", nil, cmpx(ir.OpEq, ir.CmpNumber, ref("severity", "score"), num("10")), setStatus(str("blocked"))))
				p.Profiles = []ir.Profile{{Name: "severity",
					Maps: []ir.Map{{Name: "w", Entries: []ir.MapEntry{{Key: "source", Match: "ghsa", Delta: decimalOf("3")}}}}}}
				return p
			}(),
			pair: args(c, critical),
			want: want{verdict: "blocked", vex: "unknown", band: "Critical", rule: "r", chain: []string{"r:matched"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pa := tc.pair()
			f := one(t, tc.pol, pairOf(pa.c, pa.a, pa.vex...), tc.opts...)
			w := tc.want
			if f.Verdict != w.verdict || f.VEXStatus != w.vex || f.Severity.Band != w.band || f.Rule != w.rule {
				t.Errorf("got verdict %s vex %s band %s rule %q; want %s %s %s %q", f.Verdict, f.VEXStatus, f.Severity.Band, f.Rule,
					w.verdict, w.vex, w.band, w.rule)
			}
			if got := decisions(f); !slices.Equal(got, w.chain) {
				t.Errorf("chain %v, want %v", got, w.chain)
			}
			if w.warnings != nil && !slices.Equal(f.Warnings, w.warnings) {
				t.Errorf("warnings %q, want %q", f.Warnings, w.warnings)
			}
			if w.notes != "" && !slices.ContainsFunc(f.Explain.Notes, func(n string) bool { return strings.Contains(n, w.notes) }) {
				t.Errorf("notes %q lack %q", f.Explain.Notes, w.notes)
			}
		})
	}
}

type pairArgs struct {
	c   *model.Component
	a   *model.Advisory
	vex []*model.VEXStatement
}

func args(c *model.Component, a *model.Advisory, vex ...*model.VEXStatement) func() pairArgs {
	return func() pairArgs { return pairArgs{c, a, vex} }
}

// TestSeverityBase: the most specific CVSS wins (v4.0 > v3.1 > v3.0 > v2),
// then the database word; unparsable vectors are skipped.
func TestSeverityBase(t *testing.T) {
	v2 := model.Severity{Type: "CVSS_V2", Score: "AV:N/AC:L/Au:N/C:P/I:P/A:P"}                                      // 7.5
	v30 := model.Severity{Type: "CVSS_V3", Score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}                   // 7.5
	v31 := model.Severity{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}                   // 9.8
	v4 := model.Severity{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"} // 8.7
	bad := model.Severity{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N"}
	cases := []struct {
		name   string
		sev    []model.Severity
		db     string
		score  string
		source string
	}{
		{"v4 over v3.1", []model.Severity{v31, v4}, "", "8.7", "cvss_v4"},
		{"v3.1 over v3.0 and v2", []model.Severity{v2, v30, v31}, "", "9.8", "cvss_v3.1"},
		{"v3.0 over v2", []model.Severity{v2, v30}, "", "7.5", "cvss_v3.0"},
		{"v2 alone", []model.Severity{v2}, "LOW", "7.5", "cvss_v2"},
		{"an unparsable vector is skipped", []model.Severity{bad, v30}, "", "7.5", "cvss_v3.0"},
		{"database word without CVSS", nil, "moderate", "4", "qualitative"},
		{"a distro priority", []model.Severity{{Type: "Ubuntu", Score: "high"}}, "", "7", "qualitative"},
		{"nothing", []model.Severity{bad}, "", "", ""},
		{"a bare score", []model.Severity{{Type: "CVSS_V3", Score: "7.5"}}, "", "7.5", "cvss_v3.1"},
		{"a bare score below 0 is no score", []model.Severity{{Type: "CVSS_V3", Score: "-1"}}, "", "", ""},
		{"a bare score above 10 is no score", []model.Severity{{Type: "CVSS_V3", Score: "11"}}, "", "", ""},
		{"a negative bare score does not hide a label", []model.Severity{{Type: "CVSS_V3", Score: "-0.5"}}, "HIGH", "7", "qualitative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := resolveSeverity(&model.Advisory{ID: "X", Severity: tc.sev, DBSeverity: tc.db}, nil, []string{"X"}, nil)
			score := ""
			if s.baseKnown {
				score = s.base.String()
			}
			if score != tc.score || s.source != tc.source {
				t.Errorf("base %q from %q, want %q from %q", score, s.source, tc.score, tc.source)
			}
		})
	}
}

// TestSeverityResolution: the steps in order — own CVSS, an alias record's
// CVSS, NVD, a qualitative label — and the provenance each leaves.
func TestSeverityResolution(t *testing.T) {
	v31 := model.Severity{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"} // 9.8
	v30 := model.Severity{Type: "CVSS_V3", Score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"} // 7.5
	goRec := &model.Advisory{ID: "GO-2026-1", Aliases: []string{"CVE-2026-1001", "GHSA-aaaa"}}
	ghsa := &model.Advisory{ID: "GHSA-aaaa", Severity: []model.Severity{v30}, DBSeverity: "HIGH"}
	ghsaLabel := &model.Advisory{ID: "GHSA-aaaa", DBSeverity: "CRITICAL"}
	pysec := &model.Advisory{ID: "PYSEC-1", Severity: []model.Severity{v31}}
	nvd := []model.NVDCVE{
		{ID: "CVE-2026-1001", Metrics: []model.NVDMetric{
			{Source: "nvd@nist.gov", Type: "Primary", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}, // 5.3
			{Source: "cna@example.org", Type: "Secondary", Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"},
		}},
		{ID: "CVE-2026-2002", Status: "Rejected", Metrics: []model.NVDMetric{{Type: "Primary", Version: "3.1", Vector: v31.Score}}},
	}
	ids := []string{"GO-2026-1", "CVE-2026-1001", "GHSA-aaaa"}
	cases := []struct {
		name         string
		group        []*model.Advisory
		nvd          []model.NVDCVE
		ids          []string
		step, record string
		source       string
		score        string
	}{
		{"alias record's CVSS", []*model.Advisory{ghsa, goRec}, nvd, ids, StepAlias, "GHSA-aaaa", "cvss_v3.0", "7.5"},
		{"the most specific alias CVSS wins", []*model.Advisory{ghsa, goRec, pysec}, nvd, ids, StepAlias, "PYSEC-1", "cvss_v3.1", "9.8"},
		{"NVD Primary before a Secondary v4.0", []*model.Advisory{goRec}, nvd, ids, StepNVD, "NVD CVE-2026-1001", "cvss_v3.1", "5.3"},
		{"a label after NVD", []*model.Advisory{ghsaLabel, goRec}, nil, ids, StepQualitative, "GHSA-aaaa", "qualitative", "9"},
		{"NVD before an alias label", []*model.Advisory{ghsaLabel, goRec}, nvd, ids, StepNVD, "NVD CVE-2026-1001", "cvss_v3.1", "5.3"},
		{"a lower-case CVE alias finds its NVD record", []*model.Advisory{goRec}, nvd, []string{"GO-2026-1", "cve-2026-1001"}, StepNVD, "NVD CVE-2026-1001", "cvss_v3.1", "5.3"},
		{"a rejected CVE does not count", []*model.Advisory{goRec}, nvd, []string{"GO-2026-1", "CVE-2026-2002"}, StepUnknown, "", "", ""},
		{"unknown", []*model.Advisory{goRec}, nil, ids, StepUnknown, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := resolveSeverity(goRec, tc.group, tc.ids, tc.nvd)
			score := ""
			if s.baseKnown {
				score = s.base.String()
			}
			if s.step != tc.step || s.record != tc.record || s.source != tc.source || score != tc.score {
				t.Errorf("step %q record %q source %q score %q, want %q %q %q %q\n%v",
					s.step, s.record, s.source, score, tc.step, tc.record, tc.source, tc.score, s.resolution)
			}
			if s.qualitative != (tc.step == StepQualitative) || len(s.resolution) == 0 {
				t.Errorf("qualitative %v, resolution %v", s.qualitative, s.resolution)
			}
		})
	}
}

// TestStatusAffected: a rule that sets the VEX status to affected decides
// the status (later status actions are shadowed) but not the verdict, which
// the settings then give.
func TestStatusAffected(t *testing.T) {
	pol := policy(
		rule("aff", prio(1), boolean(true), setStatus(str("affected"))),
		rule("later", prio(2), boolean(true), setStatus(str("blocked"))),
	)
	pol.Settings = ir.Fields{setting("default_status", vstr("warned"))}
	f := one(t, pol, pairOf(component("pkg:npm/lib@1.0.0", "1.0.0"), advisory("GHSA-1", "5.0")))
	if f.VEXStatus != "affected" || f.Verdict != "warned" || f.Rule != "aff" || f.Explain.Verdict.Rationale != "because aff" {
		t.Errorf("vex %s verdict %s rule %s rationale %q", f.VEXStatus, f.Verdict, f.Rule, f.Explain.Verdict.Rationale)
	}
	if got := decisions(f); !slices.Equal(got, []string{"aff:matched", "later:shadowed"}) {
		t.Errorf("chain %v", got)
	}
}

// TestDays: age_days and days_until count whole days against the
// evaluation time, rounded down; dates are midnight UTC.
func TestDays(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t     string
		until bool
		want  string
	}{
		{"2026-11-01T12:00:00Z", false, "30"},
		{"2026-11-01T12:00:01Z", false, "29"},
		{"2026-12-01", false, "0"},
		{"2026-12-02", false, "-1"},
		{"2026-12-02", true, "0"},
		{"2026-11-30", true, "-2"},
		{"not a time", true, "null"},
		{"2026-11-01T11:59:59.5Z", false, "30"},
		{"2026-11-01T12:00:00.5Z", false, "29"},
		// Beyond time.Duration's 292 years: exact, not saturated.
		{"0001-01-01T00:00:00Z", false, "739950"},
		{"9999-12-31T00:00:00Z", true, "2912107"},
		{"9999-12-31T00:00:00Z", false, "-2912108"},
	} {
		if got := daysBetween(Str(tc.t), at, tc.until).String(); got != tc.want {
			t.Errorf("days(%s, until %v) = %s, want %s", tc.t, tc.until, got, tc.want)
		}
	}
}

// TestFixAvailable: a fixed version greater than the installed one, ordered
// per ecosystem.
func TestFixAvailable(t *testing.T) {
	for _, tc := range []struct {
		eco, version string
		fixed        []string
		want         string
	}{
		{"Go", "v1.0.0", []string{"1.0.1"}, "true"},
		{"Go", "v1.2.0", []string{"1.0.1"}, "false"},
		{"PyPI", "2.25.0", []string{"2.3.0", "2.31.0"}, "true"},
		{"npm", "1.0.0", nil, "false"},
		{"npm", "", []string{"1.0.1"}, "null"},
	} {
		c := &model.Component{Ecosystem: tc.eco, Version: tc.version}
		if got := fixAvailable(c, tc.fixed).String(); got != tc.want {
			t.Errorf("%s %s fixed %v: %s, want %s", tc.eco, tc.version, tc.fixed, got, tc.want)
		}
	}
}
