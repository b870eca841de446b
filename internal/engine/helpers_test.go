package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// Builders for hand-written IR: the tests exercise the engine on exactly
// the IR the compiler emits, without depending on the compiler.

func str(s string) ir.Expr        { return ir.Expr{Op: ir.OpStr, Str: s} }
func num(s string) ir.Expr        { return ir.Expr{Op: ir.OpNum, Num: decimal.MustParse(s)} }
func boolean(b bool) ir.Expr      { return ir.Expr{Op: ir.OpBool, Bool: b} }
func null() ir.Expr               { return ir.Expr{Op: ir.OpNull} }
func ref(ns, name string) ir.Expr { return ir.Expr{Op: ir.OpRef, NS: ns, Name: name} }
func elem(name string) ir.Expr    { return ir.Expr{Op: ir.OpElem, Name: name} }
func list(args ...ir.Expr) ir.Expr {
	return ir.Expr{Op: ir.OpList, Args: args}
}
func call(fn string, args ...ir.Expr) ir.Expr { return ir.Expr{Op: ir.OpCall, Fn: fn, Args: args} }
func member(x ir.Expr, name string) ir.Expr   { return ir.Expr{Op: ir.OpMember, X: &x, Name: name} }
func index(x, i ir.Expr) ir.Expr              { return ir.Expr{Op: ir.OpIndex, X: &x, Args: []ir.Expr{i}} }
func not(x ir.Expr) ir.Expr                   { return ir.Expr{Op: ir.OpNot, Args: []ir.Expr{x}} }
func and(args ...ir.Expr) ir.Expr             { return ir.Expr{Op: ir.OpAnd, Args: args} }
func or(args ...ir.Expr) ir.Expr              { return ir.Expr{Op: ir.OpOr, Args: args} }
func cmpx(op ir.Op, t ir.CmpType, a, b ir.Expr) ir.Expr {
	return ir.Expr{Op: op, Type: t, Args: []ir.Expr{a, b}}
}
func eq(a, b ir.Expr) ir.Expr { return cmpx(ir.OpEq, ir.CmpString, a, b) }
func in(a, b ir.Expr) ir.Expr { return cmpx(ir.OpIn, ir.CmpString, a, b) }
func band(op ir.Op, a ir.Expr, b string) ir.Expr {
	return cmpx(op, ir.CmpBand, a, str(b))
}

func setStatus(v ir.Expr) ir.Action   { return ir.Action{Kind: ir.ActStatus, Value: &v} }
func setSeverity(v ir.Expr) ir.Action { return ir.Action{Kind: ir.ActSeverity, Value: &v} }
func escalate(v ir.Expr) ir.Action    { return ir.Action{Kind: ir.ActEscalate, Value: &v} }
func annotate(k string, v ir.Expr) ir.Action {
	return ir.Action{Kind: ir.ActAnnotate, Key: k, Value: &v}
}
func warn(msg string) ir.Action { return ir.Action{Kind: ir.ActWarn, Message: msg} }
func ignore() ir.Action         { return ir.Action{Kind: ir.ActIgnore} }
func ignoreUntil(v ir.Expr) ir.Action {
	return ir.Action{Kind: ir.ActIgnore, Until: &v}
}
func requireVex(vendors, justs []string) ir.Action {
	return ir.Action{Kind: ir.ActRequireVex, Vendors: vendors, Justifications: justs}
}

func prio(n int) *int { return &n }

func rule(name string, p *int, when ir.Expr, then ...ir.Action) ir.Rule {
	return ir.Rule{Name: name, Priority: p, When: when, Then: then, Because: "because " + name}
}

// policy builds a policy with rules sorted into evaluation order, as the
// compiler emits them.
func policy(rules ...ir.Rule) *ir.Policy {
	sortRules(rules)
	return &ir.Policy{IRVersion: ir.Version, Syntax: ir.Syntax, PolicyID: "test", Rules: rules}
}

func sortRules(rules []ir.Rule) {
	key := func(r ir.Rule) (int, int, string) {
		if r.Priority == nil {
			return 1, 0, r.Name
		}
		return 0, *r.Priority, r.Name
	}
	for i := 1; i < len(rules); i++ {
		for j := i; j > 0; j-- {
			a1, a2, a3 := key(rules[j-1])
			b1, b2, b3 := key(rules[j])
			if a1 < b1 || a1 == b1 && (a2 < b2 || a2 == b2 && a3 <= b3) {
				break
			}
			rules[j-1], rules[j] = rules[j], rules[j-1]
		}
	}
}

func setting(k string, v ir.Value) ir.Field { return ir.Field{Key: k, Value: v} }
func vnum(s string) ir.Value                { return ir.Value{Kind: ir.ValNumber, Num: decimal.MustParse(s)} }
func vstr(s string) ir.Value                { return ir.Value{Kind: ir.ValString, Str: s} }
func vbool(b bool) ir.Value                 { return ir.Value{Kind: ir.ValBool, Bool: b} }

func component(p, version string) *model.Component {
	return &model.Component{Ref: p, Purl: p, Type: "npm", Name: "lib", Version: version,
		Ecosystem: "npm", Package: "lib", SBOM: "sha256:sbom"}
}

// advisory has a base score given as a bare number (no CVSS parsing
// needed) or none when score is "".
func advisory(id, score string, aliases ...string) *model.Advisory {
	a := &model.Advisory{ID: id, Aliases: aliases, Source: "GHSA",
		Affected: []model.Affected{{Ecosystem: "npm", Name: "lib", Ranges: []model.Range{{Type: "SEMVER",
			Events: []model.Event{{Introduced: "0"}, {Fixed: "2.3.1"}}}}}}}
	if score != "" {
		a.Severity = []model.Severity{{Type: "CVSS_V3", Score: score}}
	}
	return a
}

func stmt(id, issuer, ts, status, just string) *model.VEXStatement {
	return &model.VEXStatement{ID: id, Issuer: issuer, Timestamp: ts, Status: status, Justification: just,
		Format: "openvex", Document: "doc", Vulnerability: "GHSA-1"}
}

var at = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// fixture is one evaluation's inputs.
type fixture struct {
	pol    *ir.Policy
	pairs  []match.Pair
	inputs model.Inputs
	env    []KV
	at     time.Time
	// registered is the run's policy id (Request.Registered).
	registered string
}

func (fx fixture) run(t testing.TB) *Result {
	t.Helper()
	if fx.at.IsZero() {
		fx.at = at
	}
	res, err := Evaluate(context.Background(), Request{Policy: fx.pol, Inputs: &fx.inputs,
		Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: fx.at, Registered: fx.registered})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// one evaluates a single pair and returns its finding.
func one(t testing.TB, pol *ir.Policy, pair match.Pair, opts ...func(*fixture)) Finding {
	t.Helper()
	fx := fixture{pol: pol, pairs: []match.Pair{pair}}
	for _, o := range opts {
		o(&fx)
	}
	res := fx.run(t)
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings", len(res.Findings))
	}
	return res.Findings[0]
}

func pairOf(c *model.Component, a *model.Advisory, vex ...*model.VEXStatement) match.Pair {
	return match.Pair{Component: c, Advisory: a, Aliases: a.Aliases, Range: "introduced 0, fixed 2.3.1", VEX: vex}
}

func decisions(f Finding) []string {
	var out []string
	for _, r := range f.Explain.RuleChain {
		out = append(out, r.Rule+":"+r.Decision)
	}
	return out
}

func decimalOf(s string) decimal.D { return decimal.MustParse(s) }
