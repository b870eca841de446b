package delta

import (
	"fmt"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
)

func fnd(id, eco, name, version, adv, verdict string, aliases ...string) engine.Finding {
	return engine.Finding{FindingID: id, Ecosystem: eco, Name: name, Version: version, AdvisoryID: adv, Aliases: aliases,
		Verdict: verdict, Purl: "pkg:" + eco + "/" + name + "@" + version}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		base, cand []engine.Finding
		want       string // kinds in delta order, with versions
		newBlocked int
		newWarned  int
	}{
		{"upgrade keeps the vulnerability: unchanged",
			[]engine.Finding{fnd("a", "npm", "lodash", "4.17.19", "GHSA-1", "blocked")},
			[]engine.Finding{fnd("b", "npm", "lodash", "4.17.20", "GHSA-1", "blocked")},
			"[unchanged lodash 4.17.19→4.17.20 blocked→blocked]", 0, 0},
		{"upgrade fixes it: fixed; a new package: new",
			[]engine.Finding{fnd("a", "npm", "minimist", "1.2.5", "GHSA-2", "blocked")},
			[]engine.Finding{fnd("c", "Maven", "log4j", "2.14.1", "GHSA-3", "blocked")},
			"[new log4j →2.14.1 →blocked fixed minimist 1.2.5→ blocked→]", 1, 0},
		{"the alias group matches across advisory ids",
			[]engine.Finding{fnd("a", "PyPI", "requests", "2.25.0", "PYSEC-1", "warned", "CVE-9")},
			[]engine.Finding{fnd("b", "PyPI", "requests", "2.26.0", "GHSA-9", "blocked", "CVE-9")},
			"[verdict_changed requests 2.25.0→2.26.0 warned→blocked]", 1, 0},
		{"same advisory, other ecosystem: not the same finding",
			[]engine.Finding{fnd("a", "npm", "x", "1", "GHSA-4", "warned")},
			[]engine.Finding{fnd("b", "PyPI", "x", "1", "GHSA-4", "warned")},
			"[new x →1 →warned fixed x 1→ warned→]", 0, 1},
		{"two instances at two versions pair with their own",
			[]engine.Finding{fnd("a", "npm", "q", "1.0.0", "GHSA-5", "passed"), fnd("b", "npm", "q", "2.0.0", "GHSA-5", "blocked")},
			[]engine.Finding{fnd("c", "npm", "q", "2.0.0", "GHSA-5", "blocked")},
			"[fixed q 1.0.0→ passed→ unchanged q 2.0.0→2.0.0 blocked→blocked]", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(Baseline{Kind: "run"}, &engine.Result{Findings: tt.base}, &engine.Result{Findings: tt.cand}, nil, nil)
			var got []string
			for _, c := range d.Findings {
				got = append(got, fmt.Sprintf("%s %s %s→%s %s→%s", c.Kind, c.Name, c.OldVersion, c.NewVersion, c.OldVerdict, c.NewVerdict))
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("got %s\nwant %s", s, tt.want)
			}
			if d.Summary.NewBlocked != tt.newBlocked || d.Summary.NewWarned != tt.newWarned {
				t.Errorf("newBlocked %d newWarned %d, want %d %d", d.Summary.NewBlocked, d.Summary.NewWarned, tt.newBlocked, tt.newWarned)
			}
		})
	}
}

// TestNewGates: a run-level gate that blocks (warns) now and did not in the
// baseline is named, like a newly blocked finding: a build that adds an
// unknown-severity finding over unknowns_budget = 0 is what changed.
func TestNewGates(t *testing.T) {
	g := func(name, outcome string) engine.Gate { return engine.Gate{Name: name, Outcome: outcome} }
	base := &engine.Result{Gates: []engine.Gate{g("unknowns-budget", "pass"), g("max-critical", "block"), g("epss-threshold", "pass"), g("feed-age", "warn")}}
	cand := &engine.Result{Gates: []engine.Gate{g("unknowns-budget", "block"), g("max-critical", "block"), g("epss-threshold", "warn"), g("feed-age", "block"), g("max-high", "block")}}
	d := Compare(Baseline{Kind: "run"}, base, cand, nil, nil)
	if got := fmt.Sprint(d.Summary.GatesNewlyBlocking); got != "[unknowns-budget feed-age max-high]" {
		t.Errorf("GatesNewlyBlocking = %s", got)
	}
	if got := fmt.Sprint(d.Summary.GatesNewlyWarning); got != "[epss-threshold]" {
		t.Errorf("GatesNewlyWarning = %s", got)
	}
	if d := Compare(Baseline{Kind: "run"}, cand, cand, nil, nil); d.Summary.GatesNewlyBlocking != nil || d.Summary.GatesNewlyWarning != nil {
		t.Errorf("same gates: %+v", d.Summary)
	}
}

// TestNewGatesGrew: a gate that blocked in the baseline too is new when
// what it counts grew — a new finding counted against it (a second
// unknown-severity finding over unknowns_budget = 0), a baseline finding
// that did not count and now does, more unchecked components — and not when
// it counts the same findings at other versions.
func TestNewGatesGrew(t *testing.T) {
	f := func(id, name, adv, verdict string) engine.Finding {
		return engine.Finding{FindingID: id, Ecosystem: "Go", Name: name, AdvisoryID: adv, Purl: "pkg:golang/" + name + "@" + id, Verdict: verdict}
	}
	gate := func(name, outcome string, observed int64, ids ...string) engine.Gate {
		return engine.Gate{Name: name, Outcome: outcome, Observed: decimal.Int(observed), Findings: ids}
	}
	base := &engine.Result{
		Findings: []engine.Finding{f("b1", "x/text", "GO-1", "passed"), f("b2", "x/crypto", "GO-2", "passed")},
		Gates:    []engine.Gate{gate("unknowns-budget", "block", 1, "b1"), gate("unchecked-budget", "block", 3), gate("feed-age", "block", 40)},
	}
	cases := []struct {
		name     string
		findings []engine.Finding
		gates    []engine.Gate
		want     string
	}{
		{"same findings, upgraded", []engine.Finding{f("c1", "x/text", "GO-1", "passed")},
			[]engine.Gate{gate("unknowns-budget", "block", 1, "c1"), gate("unchecked-budget", "block", 3), gate("feed-age", "block", 47)}, "[]"},
		{"a new finding counted", []engine.Finding{f("c1", "x/text", "GO-1", "passed"), f("c3", "x/net", "GO-3", "passed")},
			[]engine.Gate{gate("unknowns-budget", "block", 2, "c1", "c3")}, "[unknowns-budget]"},
		{"a baseline finding counted now", []engine.Finding{f("c1", "x/text", "GO-1", "passed"), f("c2", "x/crypto", "GO-2", "passed")},
			[]engine.Gate{gate("unknowns-budget", "block", 2, "c1", "c2")}, "[unknowns-budget]"},
		{"more unchecked components", nil, []engine.Gate{gate("unchecked-budget", "block", 4)}, "[unchecked-budget]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cand := &engine.Result{Findings: tc.findings, Gates: tc.gates}
			d := Compare(Baseline{Kind: "sbom"}, base, cand, nil, nil)
			if got := fmt.Sprint(d.Summary.GatesNewlyBlocking); got != tc.want {
				t.Errorf("GatesNewlyBlocking = %s, want %s", got, tc.want)
			}
			if got, _ := NewGates(base, cand); fmt.Sprint(got) != tc.want {
				t.Errorf("NewGates = %v, want %s", got, tc.want)
			}
		})
	}
}

func TestCompareInventories(t *testing.T) {
	base := []Component{{"npm", "a", "1", ""}, {"npm", "b", "1", ""}, {"npm", "c", "1", ""}, {"npm", "c", "2", ""}}
	cand := []Component{{"npm", "a", "1", ""}, {"npm", "b", "2", ""}, {"npm", "c", "3", ""}, {"npm", "d", "1", ""}}
	got := fmt.Sprint(compareInventories(base, cand))
	want := "{[{npm d 1 }] [{npm c 2 }] [{npm b 1 2} {npm c 1 3}]}"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if c := compareInventories(nil, cand); len(c.Added)+len(c.Removed)+len(c.Upgraded) != 0 {
		t.Errorf("unknown baseline inventory: want no component changes, got %v", c)
	}
}
