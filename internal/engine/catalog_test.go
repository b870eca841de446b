package engine

import (
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// catalogState is a finding with every input present, so that each
// catalogue entry yields a non-null value of its declared type.
func catalogState(t *testing.T) *state {
	t.Helper()
	in := &model.Inputs{
		KEV:   &model.KEV{Entries: []model.KEVEntry{{CVE: "CVE-2024-1", DateAdded: "2024-01-02", DueDate: "2024-02-02", KnownRansomwareUse: "Known"}}},
		EPSS:  &model.EPSS{Scores: []model.EPSSScore{{CVE: "CVE-2024-1", Score: decimal.MustParse("0.5"), Percentile: decimal.MustParse("0.9")}}},
		Reach: []model.Reach{{Purl: "pkg:npm/lib", State: "CR", Score: decimal.MustParse("0.8"), Evidence: []string{"e1"}}},
	}
	c := &compiler{env: []KV{{Key: "exposure", Value: "internet"}}, policyID: "p", evalTime: "2025-06-01T00:00:00Z"}
	prog, err := compileProgram(policy(), nil, c)
	if err != nil {
		t.Fatal(err)
	}
	prog.at = at // the evalTime above
	prog.sig, _ = newSignalIndex(in)
	prog.excs = newExceptionIndex(nil)
	s := &state{p: prog}
	comp := component("pkg:npm/lib@1.0.0", "1.0.0")
	comp.Relation, comp.Scope, comp.Licenses, comp.Tags = "direct", "required", []string{"MIT"}, []string{"runtime:eol"}
	adv := advisory("GHSA-1", "7.5", "CVE-2024-1")
	adv.Published, adv.Modified, adv.Summary = "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z", "bad"
	adv.Withdrawn = "2024-02-01T00:00:00Z" // a finding never has one, but the field must read it
	s.prepare(&match.Pair{Component: comp, Advisory: adv, Aliases: []string{"CVE-2024-1"},
		VEX: []*model.VEXStatement{{ID: "s1", Format: "openvex", Document: "d", Issuer: "V", Timestamp: "2025-01-01T00:00:00Z",
			Vulnerability: "GHSA-1", Status: "not_affected", Justification: "component_not_present",
			ImpactStatement: "i", ActionStatement: "a"}}})
	s.sev.vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
	return s
}

// hasType reports whether v is a value of static type t.
func hasType(v Val, t ir.Type) bool {
	switch t {
	case ir.TString:
		return v.K == KStr
	case ir.TTime:
		_, ok := model.ParseTime(v.S)
		return v.K == KStr && ok
	case ir.TBand:
		_, ok := ir.BandRank(v.S)
		return v.K == KStr && ok
	case ir.TNumber:
		return v.K == KNum
	case ir.TBool:
		return v.K == KBool
	case ir.TList:
		return v.K == KList
	case ir.TObject:
		return v.K == KStmt
	case ir.TAny:
		return true
	}
	return false
}

// TestCatalogueImplemented checks that the engine implements exactly the
// catalogue of internal/ir/catalog.go: every namespace field, object field
// and function compiles, and yields a value of its declared type on a
// finding that has every input; and the engine has nothing the catalogue
// lacks.
func TestCatalogueImplemented(t *testing.T) {
	s := catalogState(t)
	c := &compiler{env: []KV{{Key: "exposure", Value: "internet"}}, policyID: "p", evalTime: "2025-06-01T00:00:00Z"}
	check := func(name string, e ir.Expr, want ir.Type) {
		t.Helper()
		f, err := c.expr(e)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if v := f(s); !hasType(v, want) {
			t.Errorf("%s = %v (kind %d), want a %s", name, v, v.K, want)
		}
	}
	known := map[string]bool{}
	for _, ns := range ir.Namespaces {
		if ns.Open {
			check(ns.Name+".exposure", ref(ns.Name, "Exposure"), ns.OpenType)
			continue
		}
		for _, a := range ns.Attrs {
			known[ns.Name+"."+a.Name] = true
			check(ns.Name+"."+a.Name, ref(ns.Name, a.Name), a.Type)
		}
	}
	for k := range fields {
		if !known[k] {
			t.Errorf("engine field %s is not in the catalogue", k)
		}
	}
	for _, o := range ir.Objects {
		if o.Name != "vex.statement" {
			t.Errorf("object %s: the engine knows only vex.statement", o.Name)
			continue
		}
		for _, a := range o.Attrs {
			check("vex.latest()."+a.Name, member(call("vex.latest"), a.Name), a.Type)
			check("vex.any("+a.Name+")", call("vex.any", call("exists", elem(a.Name))), ir.TBool)
		}
		if len(o.Attrs) != len(stmtFields) {
			t.Errorf("vex.statement has %d fields in the catalogue, %d in the engine", len(o.Attrs), len(stmtFields))
		}
	}
	sample := map[ir.Type]ir.Expr{
		ir.TString: str("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
		ir.TNumber: num("7.5"),
		ir.TBool:   boolean(true),
		ir.TAny:    num("7.5"),
	}
	argsFor := map[string][]ir.Expr{
		"reach_state":      {str("ConfirmedReachable")},
		"advisory.has_tag": {str("kev")},
		"sbom.has_tag":     {str("runtime:eol")},
		"severity_band":    {str("high")},
		"vex.any":          {eq(elem("status"), str("not_affected"))},
		"vex.all":          {eq(elem("status"), str("not_affected"))},
		"coalesce":         {null(), str("x")},
		"age_days":         {str("2024-01-01T00:00:00Z")},
		"days_until":       {str("2026-01-01")},
	}
	for _, fn := range ir.Functions {
		if _, ok := builtins[fn.Name]; !ok {
			t.Errorf("function %s is not implemented", fn.Name)
			continue
		}
		args, ok := argsFor[fn.Name]
		if !ok {
			for i := 0; i < fn.Min; i++ {
				args = append(args, sample[fn.Param(i).Type])
			}
		}
		check(fn.Name+"(…)", call(fn.Name, args...), fn.Result)
	}
	for name := range builtins {
		if _, ok := ir.LookupFunc(name); !ok {
			t.Errorf("engine function %s is not in the catalogue", name)
		}
	}
	// Every setting of the catalogue is read (or deliberately ignored).
	for _, st := range ir.Settings {
		var v ir.Value
		switch st.Type {
		case ir.TBool:
			v = vbool(true)
		case ir.TNumber:
			v = vnum("1")
		default:
			v = vstr("passed")
		}
		if _, err := readSettings(ir.Fields{setting(st.Name, v)}); err != nil {
			t.Errorf("setting %s: %v", st.Name, err)
		}
	}
}

// TestFunctions checks each built-in's values and null behaviour on the
// catalogue finding (severity 7.5 from a bare score, KEV, EPSS 0.5, CR
// reachability, one not_affected statement).
func TestFunctions(t *testing.T) {
	s := catalogState(t)
	c := &compiler{env: []KV{{Key: "exposure", Value: "internet"}}, policyID: "p", evalTime: "2025-06-01T00:00:00Z"}
	cases := []struct {
		name string
		e    ir.Expr
		want string
	}{
		{"coalesce skips nulls", call("coalesce", ref("env", "nope"), null(), str("x")), "x"},
		{"coalesce of nulls", call("coalesce", ref("env", "nope"), null()), "null"},
		{"exists", call("exists", ref("signals", "epss")), "true"},
		{"exists null", call("exists", ref("env", "nope")), "false"},
		{"lowercase", call("lowercase", str("MiXeD Ä")), "mixed ä"},
		{"lowercase null", call("lowercase", null()), "null"},
		{"normalize_cvss vector", call("normalize_cvss", str("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")), "9.8"},
		{"normalize_cvss v4", call("normalize_cvss", str("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N")), "8.7"},
		{"normalize_cvss clamps", call("normalize_cvss", num("12.5")), "10"},
		{"normalize_cvss bad vector", call("normalize_cvss", str("CVSS:3.1/AV:N")), "null"},
		{"percent_of", call("percent_of", num("1"), num("3")), "33.333"},
		{"percent_of zero", call("percent_of", num("1"), num("0")), "null"},
		{"reach_state name", call("reach_state", str("confirmedUnreachable")), "CU"},
		{"reach_state code", call("reach_state", str("ro")), "RO"},
		{"reach_state bad", call("reach_state", str("maybe")), "null"},
		{"severity_band name", call("severity_band", str("hIgH")), "High"},
		{"severity_band score", call("severity_band", num("8.999")), "High"},
		{"severity_band zero", call("severity_band", num("0")), "None"},
		{"severity_band low", call("severity_band", num("0.1")), "Low"},
		{"severity_band bad", call("severity_band", str("urgent")), "null"},
		{"cvss", call("cvss"), "7.5"},
		// not_affected consensus: the risk score is 0.
		{"risk_score", call("risk_score"), "0"},
		{"advisory.has_tag kev", call("advisory.has_tag", str("kev")), "true"},
		{"advisory.has_tag null", call("advisory.has_tag", null()), "false"},
		{"sbom.has_tag", call("sbom.has_tag", str("runtime:eol")), "true"},
		{"vex.any", call("vex.any", eq(elem("status"), str("not_affected"))), "true"},
		{"vex.all", call("vex.all", eq(elem("issuer"), str("V"))), "true"},
		{"vex.latest member", member(call("vex.latest"), "justification"), "component_not_present"},
		{"member of null", member(call("vex.latest"), "timestamp"), "2025-01-01T00:00:00Z"},
		{"index", index(ref("advisory", "aliases"), num("0")), "CVE-2024-1"},
		{"index out of range", index(ref("advisory", "aliases"), num("5")), "null"},
		{"index fractional", index(ref("advisory", "aliases"), num("0.5")), "null"},
		{"run.timestamp", ref("run", "timestamp"), "2025-06-01T00:00:00Z"},
		{"env is case-insensitive", ref("env", "EXPOSURE"), "internet"},
		{"in with band type", cmpx(ir.OpIn, ir.CmpBand, ref("severity", "normalized"), list(str("critical"), str("HIGH"))), "true"},
		{"time comparison", cmpx(ir.OpLt, ir.CmpTime, ref("advisory", "published"), str("2024-01-01T00:00:01+00:00")), "true"},
		{"bad time compares false", cmpx(ir.OpLt, ir.CmpTime, ref("advisory", "published"), str("soon")), "false"},
		{"any equality across types", cmpx(ir.OpEq, ir.CmpAny, num("1"), str("1")), "false"},
		{"any inequality across types", cmpx(ir.OpNe, ir.CmpAny, num("1"), str("1")), "true"},
		{"any ordering is false", cmpx(ir.OpLt, ir.CmpAny, num("1"), num("2")), "false"},
	}
	for _, tc := range cases {
		f, err := c.expr(tc.e)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := f(s).String(); got != tc.want {
			t.Errorf("%s: %s = %s, want %s", tc.name, ir.FormatExpr(tc.e), got, tc.want)
		}
	}
	// vex.all is false, never vacuously true, without statements.
	s.vex.reset(nil, time.Time{})
	all, err := c.expr(call("vex.all", boolean(true)))
	if err != nil {
		t.Fatal(err)
	}
	if all(s).Truthy() {
		t.Error("vex.all over no statements is true")
	}
}
