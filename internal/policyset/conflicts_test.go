package policyset

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/dsl"
)

// pol builds a policy source from a metadata body, a settings body and rules.
func pol(name, metadata, settings string, rules ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy %q syntax \"stella-dsl@1\" {\n", name)
	if metadata != "" {
		fmt.Fprintf(&b, "  metadata { %s }\n", metadata)
	}
	if settings != "" {
		fmt.Fprintf(&b, "  settings { %s }\n", settings)
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	b.WriteString("}\n")
	return b.String()
}

func members(t *testing.T, srcs ...string) []Member {
	t.Helper()
	var ms []Member
	for i, src := range srcs {
		res := dsl.CompileResult(fmt.Sprintf("p%d.stella", i+1), []byte(src))
		if res.Policy == nil {
			t.Fatalf("policy %d does not compile: %v", i+1, res.Diagnostics)
		}
		m, err := NewMember(fmt.Sprintf("P-%d@1", i+1), res.Digest, res.Policy)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

const (
	blockCritical = `rule block_critical priority 1 { when severity.normalized == "Critical" then status := "blocked" because "c" }`
	blockHigh     = `rule block_high priority 10 { when severity.normalized >= "High" then status := "blocked" because "h" }`
	passVEX       = `rule trust_vex priority 1 { when vex.status == "not_affected" then status := "passed" because "v" }`
	quietMedium   = `rule quiet_medium { when severity.normalized == "Medium" then ignore until "2027-01-01T00:00:00Z" because "q" }`
	blockMedium   = `rule block_medium { when severity.normalized >= "Medium" then status := "blocked" because "m" }`
	warnLow       = `rule warn_low { when severity.normalized == "Low" then warn because "l" }`
)

func TestConflicts(t *testing.T) {
	cases := []struct {
		name string
		srcs []string
		want []string // "TYPE SEVERITY subject"
	}{
		{"baseline and stricter overlay: none", []string{
			pol("baseline", ``, `max_high = 5`, blockCritical),
			pol("overlay", `scope = { env = { stage = "prod" } }`, `max_high = 0`),
		}, nil},
		{"scope overlap, different modes", []string{
			pol("baseline", ``, ``, blockCritical),
			pol("shadow", `scope = { env = { stage = "prod" } }, enforcement = "audit"`, ``, blockCritical),
		}, []string{"SCOPE_OVERLAP WARNING enforcement"}},
		{"looser overlay inside the baseline: blocking", []string{
			pol("baseline", ``, `max_high = 5`),
			pol("overlay", `scope = { env = { stage = "prod" } }`, `max_high = 10`),
		}, []string{"THRESHOLD_CONTRADICTION BLOCKING max_high"}},
		{"equal scopes, different values: blocking", []string{
			pol("a", `scope = { purls = ["pkg:npm/*"] }`, `block_kev = true`),
			pol("b", `scope = { purls = ["pkg:npm/*"] }`, `block_kev = false`),
		}, []string{"THRESHOLD_CONTRADICTION BLOCKING block_kev"}},
		{"partial overlap: warning", []string{
			pol("prod", `scope = { env = { stage = "prod" } }`, `max_high = 5`),
			pol("payments", `scope = { tags = ["payments"] }`, `max_high = 10`),
		}, []string{"THRESHOLD_CONTRADICTION WARNING max_high"}},
		{"looser glob inside a wider glob: blocking", []string{
			pol("a", `scope = { purls = ["pkg:npm/*"] }`, `max_high = 5`),
			pol("b", `scope = { purls = ["pkg:npm/lodash*"] }`, `max_high = 10`),
		}, []string{"THRESHOLD_CONTRADICTION BLOCKING max_high"}},
		{"globs the analysis cannot decide: warning, never blocking", []string{
			pol("a", `scope = { purls = ["pkg:npm/*lodash"] }`, `max_high = 5`),
			pol("b", `scope = { purls = ["pkg:npm/lodash*"] }`, `max_high = 10`),
		}, []string{"THRESHOLD_CONTRADICTION WARNING max_high"}},
		{"temporal", []string{
			pol("canary", ``, ``, quietMedium),
			pol("strict", ``, ``, blockMedium),
		}, []string{"TEMPORAL_CONFLICT WARNING quiet_medium / block_medium"}},
		{"priority across policies", []string{
			pol("vex", ``, ``, passVEX),
			pol("high", ``, ``, blockHigh),
		}, []string{"PRIORITY_OVERRIDE WARNING trust_vex / block_high"}},
		{"priority within a policy", []string{
			pol("one", ``, ``, passVEX, blockHigh),
		}, []string{"PRIORITY_OVERRIDE WARNING trust_vex / block_high"}},
		{"disjoint scopes: nothing", []string{
			pol("prod", `scope = { env = { stage = "prod" } }`, `max_high = 5`, quietMedium),
			pol("dev", `scope = { env = { stage = "dev" } }, enforcement = "warn"`, `max_high = 50`, blockMedium),
		}, nil},
		{"disjoint rule conditions: nothing", []string{
			pol("a", ``, ``, quietMedium),
			pol("b", ``, ``, blockCritical, warnLow),
		}, nil},
		{"audit policies do not contradict", []string{
			pol("a", `enforcement = "audit"`, `max_high = 5`, passVEX),
			pol("b", `enforcement = "audit"`, `max_high = 10`, blockHigh),
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range Conflicts(members(t, tc.srcs...)) {
				got = append(got, c.Type+" "+c.Severity+" "+c.Subject)
				if c.Explanation == "" || c.Action == "" {
					t.Errorf("%s: no explanation or action", c.Type)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("conflicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestReport: `policy conflicts` names the members compared and counts
// what it finds by severity; none found is an empty list, not null.
func TestReport(t *testing.T) {
	cases := []struct {
		name               string
		srcs               []string
		blocking, warnings int
	}{
		{"none", []string{pol("baseline", ``, `max_high = 5`, blockCritical), pol("overlay", `scope = { env = { stage = "prod" } }`, `max_high = 0`)}, 0, 0},
		{"one blocking", []string{pol("baseline", ``, `max_high = 5`), pol("overlay", `scope = { env = { stage = "prod" } }`, `max_high = 10`)}, 1, 0},
		{"one warning", []string{pol("baseline", ``, ``, blockCritical), pol("shadow", `scope = { env = { stage = "prod" } }, enforcement = "audit"`, ``, blockCritical)}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Report(members(t, tc.srcs...))
			if strings.Join(rep.Policies, " ") != "P-1@1 P-2@1" || rep.Conflicts == nil || rep.Blocking != tc.blocking || rep.Warnings != tc.warnings ||
				len(rep.Conflicts) != tc.blocking+tc.warnings {
				t.Fatalf("report %+v; want %d blocking, %d warnings", rep, tc.blocking, tc.warnings)
			}
		})
	}
}
