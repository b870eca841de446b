// Package policytest owns policy tests (`stella policy test DIR`,
// docs/policy-test.md): the test-case model, the runner and rule coverage.
// Cases evaluate through internal/run. The command renders the report.
package policytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"gopkg.in/yaml.v3"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Each case is a directory holding a case.yaml, or a .txtar archive holding case.yaml and the files it
// names. case.yaml names the policy (default: policy.stella in the case,
// else in DIR), the inputs, env and evaluation time, and the expected
// verdicts; docs/policy-test.md documents it.

const caseFile = "case.yaml"

// testCase is case.yaml.
type testCase struct {
	Policy       string            `yaml:"policy"`
	SBOMs        []string          `yaml:"sbom"`
	Advisories   []string          `yaml:"advisories"`
	VEX          []string          `yaml:"vex"`
	EPSS         string            `yaml:"epss"`
	KEV          string            `yaml:"kev"`
	Reachability []string          `yaml:"reachability"`
	Exceptions   []string          `yaml:"exceptions"`
	Env          map[string]string `yaml:"env"`
	AsOf         string            `yaml:"asOf"`
	Expect       expectation       `yaml:"expect"`
}

type expectation struct {
	Verdict  string            `yaml:"verdict"`
	Findings []expectedFinding `yaml:"findings"`
	Gates    []expectedGate    `yaml:"gates"`
	// Count, when set, is the exact number of findings.
	Count *int `yaml:"count"`
}

// expectedFinding selects the findings of an advisory (id or alias),
// optionally on one package (a purl; without a version it matches every
// version), and states what they must be.
type expectedFinding struct {
	Advisory  string `yaml:"advisory"`
	Purl      string `yaml:"purl"`
	Verdict   string `yaml:"verdict"`
	VEXStatus string `yaml:"vexStatus"`
	Severity  string `yaml:"severity"`
	Rule      string `yaml:"rule"`
	Absent    bool   `yaml:"absent"` // the selector must match no finding
}

type expectedGate struct {
	Name    string `yaml:"name"`
	Outcome string `yaml:"outcome"`
}

// caseResult is one case's outcome (the JSON form of `policy test`).
type caseResult struct {
	Name     string   `json:"name"`
	Policy   string   `json:"policy"`
	Digest   string   `json:"policyDigest"`
	Passed   bool     `json:"passed"`
	Verdict  string   `json:"verdict"`
	Findings int      `json:"findings"`
	Failures []string `json:"failures"`
}

// ruleCoverage says which cases made each rule of a policy match.
type ruleCoverage struct {
	Policy    string         `json:"policy"`
	Digest    string         `json:"policyDigest"`
	Rules     []ruleCoverRow `json:"rules"`
	Unmatched []string       `json:"unmatched"` // rules no case matched
}

type ruleCoverRow struct {
	Rule    string   `json:"rule"`
	Matched int      `json:"matched"` // findings it matched, over all cases
	Cases   []string `json:"cases"`   // cases in which it matched, sorted
}

// Report is the outcome of a test run (the JSON form of `policy test`).
type Report struct {
	Dir      string         `json:"dir"`
	Passed   int            `json:"passed"`
	Failed   int            `json:"failed"`
	Cases    []caseResult   `json:"cases"`
	Coverage []ruleCoverage `json:"coverage"`
}

// Run runs the cases under dir (only those whose name contains only, when
// it is not empty) and returns the report with the rule coverage of every
// policy. Errors are problems with a case itself (a malformed case or
// policy); unmet expectations are failures in the report.
func Run(ctx context.Context, dir, only string) (*Report, error) {
	cases, err := findCases(dir)
	if err != nil {
		return nil, err
	}
	if only != "" {
		// The case's name is its path under dir: dir's own path must not
		// select every case (a DIR under "vex/" and --run vex).
		cases = slices.DeleteFunc(cases, func(c string) bool {
			name, err := filepath.Rel(dir, c)
			return err != nil || !strings.Contains(name, only)
		})
	}
	if len(cases) == 0 {
		return nil, fail.New(fail.Invalid, "%s: no test cases (directories with %s, or .txtar files)", dir, caseFile)
	}
	rep := &Report{Dir: dir, Cases: []caseResult{}, Coverage: []ruleCoverage{}}
	cov := map[string]*coverageAcc{}
	var order []string
	for _, c := range cases {
		res, pol, err := runCase(ctx, dir, c)
		if err != nil {
			return nil, err
		}
		if res.Passed {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Cases = append(rep.Cases, res.caseResult)
		acc, ok := cov[res.Digest]
		if !ok {
			acc = &coverageAcc{name: res.Policy, digest: res.Digest, rules: map[string]*ruleCoverRow{}}
			for _, r := range pol.Rules {
				acc.order = append(acc.order, r.Name)
				acc.rules[r.Name] = &ruleCoverRow{Rule: r.Name, Cases: []string{}}
			}
			cov[res.Digest] = acc
			order = append(order, res.Digest)
		}
		for _, st := range res.stats {
			row := acc.rules[st.Rule]
			if st.Matched > 0 {
				row.Matched += st.Matched
				row.Cases = append(row.Cases, res.Name)
			}
		}
	}
	for _, d := range order {
		rep.Coverage = append(rep.Coverage, cov[d].report())
	}
	return rep, nil
}

// Err is how a test run ends (docs/policy-test.md): nil when every case
// passed, else a gate failure the report already shows (exit 20).
func (r *Report) Err() error {
	if r.Failed > 0 {
		return fail.Reported(fail.Blocked)
	}
	return nil
}

type coverageAcc struct {
	name, digest string
	order        []string
	rules        map[string]*ruleCoverRow
}

func (a *coverageAcc) report() ruleCoverage {
	rc := ruleCoverage{Policy: a.name, Digest: a.digest, Rules: []ruleCoverRow{}, Unmatched: []string{}}
	for _, n := range a.order {
		row := a.rules[n]
		slices.Sort(row.Cases)
		rc.Rules = append(rc.Rules, *row)
		if row.Matched == 0 {
			rc.Unmatched = append(rc.Unmatched, n)
		}
	}
	return rc
}

// findCases lists the cases under dir, sorted: directories (at any depth)
// holding case.yaml, and .txtar files.
func findCases(dir string) ([]string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fail.New(fail.NotFound, "%s: %v", dir, unwrapPathErr(err))
	}
	if !fi.IsDir() {
		return nil, fail.New(fail.Invalid, "%s is not a directory", dir)
	}
	var cases []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != dir:
			return filepath.SkipDir
		case !d.IsDir() && d.Name() == caseFile:
			cases = append(cases, filepath.Dir(p))
		case !d.IsDir() && strings.HasSuffix(d.Name(), ".txtar"):
			cases = append(cases, p)
		}
		return nil
	})
	if err != nil {
		return nil, fail.New(fail.Invalid, "%s: %v", dir, err)
	}
	slices.Sort(cases)
	return cases, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

type caseOutcome struct {
	caseResult
	stats []engine.RuleStat
}

// runCase runs one case. Errors are problems with the case itself (exit 2);
// unmet expectations are failures in the result.
func runCase(ctx context.Context, root, path string) (*caseOutcome, *ir.Policy, error) {
	name, _ := filepath.Rel(root, path)
	name = filepath.ToSlash(name)
	caseDir := path
	var manifest []byte
	if strings.HasSuffix(path, ".txtar") {
		tmp, data, err := extractTxtar(path)
		if err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(tmp)
		caseDir, manifest = tmp, data
	} else {
		var err error
		if manifest, err = os.ReadFile(filepath.Join(path, caseFile)); err != nil {
			return nil, nil, fail.New(fail.Invalid, "%s: %v", name, err)
		}
	}
	var tc testCase
	dec := yaml.NewDecoder(bytes.NewReader(manifest))
	dec.KnownFields(true)
	if err := dec.Decode(&tc); err != nil {
		return nil, nil, fail.New(fail.Invalid, "%s: %s: %v", name, caseFile, err)
	}
	if err := tc.Expect.validate(); err != nil {
		return nil, nil, fail.New(fail.Invalid, "%s: %s: %v", name, caseFile, err)
	}
	// Paths are relative to the case: its directory, or the directory of
	// the .txtar for paths outside the archive.
	base := path
	if strings.HasSuffix(path, ".txtar") {
		base = filepath.Dir(path)
	}
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if _, err := os.Stat(filepath.Join(caseDir, p)); err == nil {
			return filepath.Join(caseDir, p)
		}
		return filepath.Join(base, p)
	}
	resolveAll := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = resolve(p)
		}
		return out
	}
	polPath := tc.Policy
	switch {
	case polPath != "":
		polPath = resolve(polPath)
	case exists(filepath.Join(caseDir, "policy.stella")):
		polPath = filepath.Join(caseDir, "policy.stella")
	default:
		polPath = filepath.Join(root, "policy.stella")
	}
	src, err := os.ReadFile(polPath)
	if err != nil {
		return nil, nil, fail.New(fail.Invalid, "%s: policy: %v", name, err)
	}
	pol, err := run.Compile(polPath, src)
	var ce *run.CompileError
	if errors.As(err, &ce) {
		return nil, nil, fail.New(fail.Invalid, "%s: policy %s does not compile: %s", name, polPath, firstError(ce.Diagnostics))
	}
	if err != nil {
		return nil, nil, err
	}
	if len(tc.SBOMs) == 0 {
		return nil, nil, fail.New(fail.Invalid, "%s: %s names no sbom", name, caseFile)
	}
	// A test case is a fixture: without asOf it is evaluated at the
	// newest input timestamp, never at the clock, so it passes tomorrow too.
	asOf := tc.AsOf
	if asOf == "" {
		asOf = run.AsOfInputs
	}
	at, err := run.ParseAsOf(asOf, time.Time{})
	if err != nil {
		return nil, nil, fail.New(fail.Invalid, "%s: asOf %q is not an RFC 3339 time", name, tc.AsOf)
	}
	var env []engine.KV
	for k, v := range tc.Env {
		env = append(env, engine.KV{Key: k, Value: v})
	}
	ev, err := run.Evaluate(ctx, run.Spec{Policy: pol, Env: env, At: at, NoExplain: true,
		Files: &snapshot.Spec{SBOMs: resolveAll(tc.SBOMs), Advisories: resolveAll(tc.Advisories),
			VEX: resolveAll(tc.VEX), EPSS: resolve(tc.EPSS), KEV: resolve(tc.KEV), Reachability: resolveAll(tc.Reachability),
			Exceptions: resolveAll(tc.Exceptions)}})
	if err != nil {
		return nil, nil, fail.New(fail.KindOf(err), "%s: %v", name, err)
	}
	res, comp := ev.Result, pol
	out := &caseOutcome{caseResult: caseResult{Name: name, Policy: comp.Policy.PolicyID, Digest: comp.Digest,
		Verdict: res.Verdict, Findings: len(res.Findings), Failures: check(&tc.Expect, res)}, stats: res.Summary.Rules}
	out.Passed = len(out.Failures) == 0
	return out, comp.Policy, nil
}

func firstError(ds []dsl.Diagnostic) string {
	for _, d := range ds {
		if d.Severity == dsl.Error {
			return fmt.Sprintf("%d:%d: %s [%s]", d.Pos.Line, d.Pos.Col, d.Msg, d.Code)
		}
	}
	return "errors"
}

// extractTxtar writes an archive's files to a temporary directory and
// returns it with the contents of case.yaml.
func extractTxtar(path string) (string, []byte, error) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		return "", nil, fail.New(fail.Invalid, "%s: %v", path, err)
	}
	tmp, err := os.MkdirTemp("", "stella-test-")
	if err != nil {
		return "", nil, err
	}
	var manifest []byte
	for _, f := range ar.Files {
		clean := filepath.Clean(filepath.FromSlash(f.Name))
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			os.RemoveAll(tmp)
			return "", nil, fail.New(fail.Invalid, "%s: file name %q leaves the archive", path, f.Name)
		}
		if f.Name == caseFile {
			manifest = f.Data
		}
		dst := filepath.Join(tmp, clean)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			os.RemoveAll(tmp)
			return "", nil, err
		}
		if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
			os.RemoveAll(tmp)
			return "", nil, err
		}
	}
	if manifest == nil {
		os.RemoveAll(tmp)
		return "", nil, fail.New(fail.Invalid, "%s: no %s in the archive", path, caseFile)
	}
	return tmp, manifest, nil
}

// validate checks the expected values against their vocabularies, so that a
// misspelt value is a malformed case (exit 2), not a failure that can never
// pass. Severity bands match in any case and are normalized ("critical" →
// "Critical"), as everywhere else.
func (e *expectation) validate() error {
	oneOf := func(field, v string, allowed ...string) error {
		if v == "" || slices.Contains(allowed, v) {
			return nil
		}
		return fmt.Errorf("%s %q: want one of %s", field, v, strings.Join(allowed, ", "))
	}
	if e.Verdict == "" && e.Count == nil && len(e.Findings) == 0 && len(e.Gates) == 0 {
		// A case that checks nothing passes whatever the policy does.
		return errors.New("expect checks nothing: give verdict, count, findings or gates")
	}
	verdicts := []string{engine.VerdictPassed, engine.VerdictWarned, engine.VerdictBlocked, engine.VerdictQuieted, engine.VerdictIgnored}
	if err := oneOf("expect.verdict", e.Verdict, verdicts[:3]...); err != nil {
		return err
	}
	if e.Count != nil && *e.Count < 0 {
		return fmt.Errorf("expect.count %d: want 0 or more", *e.Count)
	}
	for i := range e.Findings {
		f := &e.Findings[i]
		at := fmt.Sprintf("expect.findings[%d]", i)
		if f.Advisory == "" {
			return fmt.Errorf("%s: advisory is required (the advisory id or an alias)", at)
		}
		if err := oneOf(at+".verdict", f.Verdict, verdicts...); err != nil {
			return err
		}
		if err := oneOf(at+".vexStatus", f.VEXStatus, model.VEXAffected, model.VEXNotAffected, model.VEXFixed,
			model.VEXUnderInvestigation, model.VEXUnknown); err != nil {
			return err
		}
		if f.Severity != "" {
			if r, ok := ir.BandRank(f.Severity); ok {
				f.Severity = ir.Bands[r]
			} else if strings.EqualFold(f.Severity, "Unknown") {
				f.Severity = "Unknown"
			} else {
				return fmt.Errorf("%s.severity %q: want one of %s or Unknown", at, f.Severity, strings.Join(ir.Bands, ", "))
			}
		}
	}
	for i, g := range e.Gates {
		if g.Name == "" {
			return fmt.Errorf("expect.gates[%d]: name is required", i)
		}
		if g.Outcome == "" {
			return fmt.Errorf("expect.gates[%d]: outcome is required (pass, warn or block)", i)
		}
		if err := oneOf(fmt.Sprintf("expect.gates[%d].outcome", i), g.Outcome, engine.GatePass, engine.GateWarn, engine.GateBlock); err != nil {
			return err
		}
	}
	return nil
}

// check compares a result with the expectation and returns what is wrong.
func check(e *expectation, r *engine.Result) []string {
	out := []string{}
	if e.Verdict != "" && e.Verdict != r.Verdict {
		out = append(out, fmt.Sprintf("run verdict is %s, want %s", r.Verdict, e.Verdict))
	}
	if e.Count != nil && *e.Count != len(r.Findings) {
		out = append(out, fmt.Sprintf("%d findings, want %d", len(r.Findings), *e.Count))
	}
	for _, want := range e.Findings {
		sel := want.Advisory
		if want.Purl != "" {
			sel += " on " + want.Purl
		}
		var hits []*engine.Finding
		for i := range r.Findings {
			if selects(&want, &r.Findings[i]) {
				hits = append(hits, &r.Findings[i])
			}
		}
		switch {
		case want.Absent && len(hits) > 0:
			out = append(out, fmt.Sprintf("%s: want no finding, got %d", sel, len(hits)))
			continue
		case want.Absent:
			continue
		case len(hits) == 0:
			out = append(out, fmt.Sprintf("%s: no such finding", sel))
			continue
		}
		for _, f := range hits {
			where := sel
			if want.Purl == "" || !strings.Contains(want.Purl, "@") {
				where += " (" + f.Purl + ")"
			}
			for _, c := range []struct{ what, got, want string }{
				{"verdict", f.Verdict, want.Verdict},
				{"vexStatus", f.VEXStatus, want.VEXStatus},
				{"severity", f.Severity.Band, want.Severity},
				{"rule", f.Rule, want.Rule},
			} {
				if c.want != "" && c.got != c.want {
					out = append(out, fmt.Sprintf("%s: %s is %q, want %q", where, c.what, c.got, c.want))
				}
			}
		}
	}
	for _, want := range e.Gates {
		i := slices.IndexFunc(r.Gates, func(g engine.Gate) bool { return g.Name == want.Name })
		switch {
		case i < 0:
			out = append(out, fmt.Sprintf("gate %s is not configured", want.Name))
		case r.Gates[i].Outcome != want.Outcome:
			out = append(out, fmt.Sprintf("gate %s is %s (%s), want %s", want.Name, r.Gates[i].Outcome, r.Gates[i].Message, want.Outcome))
		}
	}
	return out
}

// selects reports whether an expectation's selector matches a finding: the
// advisory id or an alias (case-insensitive), and the purl when given (a
// purl without a version matches every version of the package).
func selects(want *expectedFinding, f *engine.Finding) bool {
	if !strings.EqualFold(want.Advisory, f.AdvisoryID) && !slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, want.Advisory) }) {
		return false
	}
	if want.Purl == "" {
		return true
	}
	wp, err1 := purl.Parse(want.Purl)
	fp, err2 := purl.Parse(f.Purl)
	if err1 != nil || err2 != nil {
		return want.Purl == f.Purl
	}
	return purl.Match(wp, fp) == purl.Matched
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
