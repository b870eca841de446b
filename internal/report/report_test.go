package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/policytest"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const fixture = "../../testdata/simulate"

// result evaluates the simulate fixture (testdata/simulate): five findings
// covering blocked (KEV and Critical), warned, quieted by an exception and
// passed, with VEX, EPSS, KEV, reachability and exceptions.
func result(t *testing.T) *engine.Result {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fixture, "policy.stella"))
	if err != nil {
		t.Fatal(err)
	}
	res := dsl.CompileResult("policy.stella", src)
	if res.Policy == nil {
		t.Fatalf("compile: %v", res.Diagnostics)
	}
	p := func(n string) string { return filepath.Join(fixture, n) }
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: []string{p("app.cdx.json")}, Advisories: []string{p("osv")},
		VEX: []string{p("vex.openvex.json")}, KEV: p("kev.json"), EPSS: p("epss.csv"), Reachability: []string{p("reach.json")},
		Exceptions: []string{p("exceptions.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Besides the fixture's components, two of an ecosystem no advisory
	// covers: the coverage line of every format (docs/output.md "Coverage").
	cov := run.Coverage(snap, m)
	cov.Ecosystems = append(cov.Ecosystems, engine.EcosystemCoverage{Ecosystem: "Debian:12", Basis: engine.CoverageNone, Components: 2, Unchecked: 2})
	slices.SortFunc(cov.Ecosystems, func(a, b engine.EcosystemCoverage) int { return strings.Compare(a.Ecosystem, b.Ecosystem) })
	r, err := engine.Evaluate(t.Context(), engine.Request{Policy: res.Policy, SourceMap: res.SourceMap, Digest: res.Digest,
		Inputs: snap.Inputs, Match: m, Env: []engine.KV{{Key: "exposure", Value: "internet"}},
		At: time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC), Coverage: cov})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var opts = Options{Locate: func(f *engine.Finding) (string, int) {
	return "testdata/simulate/app.cdx.json", 12
}, SARIFBase: ".", HelpURI: func(id string) string { return "https://osv.dev/vulnerability/" + id }}

func render(t *testing.T, format string, r *engine.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, r, opts); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/name, or writes it there with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; rerun with -update and review the diff", golden)
	}
}

// TestGolden renders the fixture in every format. Checked by hand when the
// goldens were written: the table sorts blocked before warned, quieted and
// passed and Critical before lower bands, and names EXC-1 for the quieted
// x/text finding; SARIF has one rule per advisory with security-severity
// equal to the highest score of its findings, results located at the SBOM,
// the quieted finding suppressed; JUnit fails the two blocked findings and
// the max-critical gate, skips the quieted one; OpenVEX says not_affected
// for requests (unreachable, no VEX justification, so an impact
// statement), under_investigation for unknown; every format is sorted and
// carries no wall-clock time.
// TestMain stamps the tool version the goldens name ("test"; the linker sets
// it in a release).
func TestMain(m *testing.M) {
	buildinfo.Version = "test"
	os.Exit(m.Run())
}

func TestGolden(t *testing.T) {
	r := result(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, r)
			if again := render(t, format, r); !bytes.Equal(got, again) {
				t.Fatal("two renderings differ")
			}
			checkGolden(t, "golden."+format, got)
		})
	}
}

func TestJUnitParses(t *testing.T) {
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(render(t, "junit", result(t)), &doc); err != nil {
		t.Fatalf("junit is not XML: %v", err)
	}
	cases, fails, skips := 0, 0, 0
	for _, s := range doc.Suites {
		if len(s.Cases) != s.Tests {
			t.Errorf("suite %s: tests=%d but %d cases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				fails++
			}
			if c.Skipped != nil {
				skips++
			}
		}
	}
	if doc.Tests != cases || doc.Failures != fails || doc.Skipped != skips || cases != 10 || fails != 3 || skips != 1 {
		t.Errorf("totals %d/%d/%d, cases %d/%d/%d; want 10 cases (the severity-unknown, coverage-unchecked and warnings notes among them), 3 failures (2 blocked findings + max-critical), 1 skipped",
			doc.Tests, doc.Failures, doc.Skipped, cases, fails, skips)
	}
}

func TestOpenVEXValid(t *testing.T) {
	var doc struct {
		Context    string `json:"@context"`
		ID         string `json:"@id"`
		Author     string `json:"author"`
		Timestamp  string `json:"timestamp"`
		Version    int    `json:"version"`
		Statements []struct {
			Vulnerability struct {
				Name string `json:"name"`
			} `json:"vulnerability"`
			Products []struct {
				ID string `json:"@id"`
			} `json:"products"`
			Status          string `json:"status"`
			Justification   string `json:"justification"`
			ImpactStatement string `json:"impact_statement"`
			ActionStatement string `json:"action_statement"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(render(t, "openvex", result(t)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Context != "https://openvex.dev/ns/v0.2.0" || doc.ID == "" || doc.Author == "" || doc.Version != 1 {
		t.Errorf("document header %+v", doc)
	}
	if _, err := time.Parse(time.RFC3339, doc.Timestamp); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	justs := map[string]bool{"component_not_present": true, "vulnerable_code_not_present": true, "vulnerable_code_not_in_execute_path": true,
		"vulnerable_code_cannot_be_controlled_by_adversary": true, "inline_mitigations_already_exist": true}
	for i, s := range doc.Statements {
		if s.Vulnerability.Name == "" || len(s.Products) == 0 || s.Products[0].ID == "" {
			t.Errorf("statement %d: no vulnerability or product", i)
		}
		switch s.Status {
		case "not_affected":
			if s.Justification == "" && s.ImpactStatement == "" {
				t.Errorf("statement %d: not_affected needs a justification or an impact statement", i)
			}
			if s.Justification != "" && !justs[s.Justification] {
				t.Errorf("statement %d: justification %q", i, s.Justification)
			}
		case "affected":
			if s.ActionStatement == "" {
				t.Errorf("statement %d: affected needs an action statement", i)
			}
		case "fixed", "under_investigation":
		default:
			t.Errorf("statement %d: status %q is not an OpenVEX status", i, s.Status)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	page := string(render(t, "html", result(t)))
	for _, bad := range []string{"<script", "<link", "<img", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: it must load nothing", bad)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "Rule chain", "What would change the verdict", "max-critical", "EXC-1", "block_kev"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestJSONStreamsLikeEncodingJSON: the result is written finding by
// finding (in batches on every core when there are many), with the bytes
// encoding/json's indenting encoder gives, for results with and without
// findings.
func TestJSONStreamsLikeEncodingJSON(t *testing.T) {
	full := result(t)
	empty := *full
	empty.Findings = []engine.Finding{}
	one := *full
	one.Findings = full.Findings[:1]
	// Enough batches that every core encodes several ahead of the writer.
	many := *full
	many.Findings = nil
	for len(many.Findings) < 40*findingsBatch+3 {
		many.Findings = append(many.Findings, full.Findings...)
	}
	for name, r := range map[string]*engine.Result{"full": full, "empty": &empty, "one": &one, "many": &many} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if err := JSON(&got, r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed JSON differs from encoding/json's", name)
		}
	}
}

// TestMarkdownDelta renders the markdown summary with a delta: the fixture
// against a baseline without its first finding and with an older lodash.
func TestMarkdownDelta(t *testing.T) {
	r := result(t)
	base := *r
	base.Findings = r.Findings[1:]
	d := delta.Compare(delta.Baseline{Kind: "run", Ref: "run:Shop-API-Gate:20240601T000000Z:0123456789ab"}, &base, r,
		[]delta.Component{{Ecosystem: "npm", Name: "lodash", Version: "4.17.19"}},
		[]delta.Component{{Ecosystem: "npm", Name: "lodash", Version: "4.17.20"}, {Ecosystem: "npm", Name: "minimist", Version: "1.2.5"}})
	o := opts
	o.Delta = d
	o.FailOn, o.FailOnOutcome = "new-blocked", "blocked"
	var buf bytes.Buffer
	if err := Markdown(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "golden.delta.markdown", buf.Bytes())

	// A gate that blocks now and did not in the baseline is what fails
	// --fail-on new-blocked even when no finding is newly blocked: the
	// comment says so (docs/output.md "Markdown").
	d.Summary.GatesNewlyBlocking, d.Summary.GatesNewlyWarning = []string{"unknowns-budget"}, []string{"epss-threshold"}
	buf.Reset()
	if err := Markdown(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Gates newly blocking: **unknowns-budget**", "Gates newly warning: **epss-threshold**"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestMarkdownInputHTML: values from the inputs (versions, fixed-in
// versions, the baseline's component changes) reach a pull-request comment
// as text: "1.0<!--" opened an HTML comment that hid every row after it,
// "<img …>" and "[x](…)" added an image and a link. Inside code spans only
// the backtick and the pipe need care.
func TestMarkdownInputHTML(t *testing.T) {
	r := result(t)
	bad := "1.0<!--[x](https://evil.example)<img src=x>&"
	for i := range r.Findings {
		r.Findings[i].FixedIn = []string{bad}
	}
	d := delta.Compare(delta.Baseline{Kind: "sbom", Ref: "old`|<!--.json"}, r, r,
		[]delta.Component{{Ecosystem: "npm", Name: "lodash", Version: "4.17.19"}},
		[]delta.Component{{Ecosystem: "npm", Name: "lodash", Version: bad}})
	o := opts
	o.Delta = d
	var buf bytes.Buffer
	if err := Markdown(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, raw := range []string{"<!--", "<img", "x](", "&\n", "& "} {
		if strings.Contains(strings.ReplaceAll(out, "`old'\\|<!--.json`", ""), raw) {
			t.Errorf("markdown carries %q from the inputs:\n%s", raw, out)
		}
	}
	if !strings.Contains(out, "1.0&lt;!--\\[x\\](https://evil.example)&lt;img src=x&gt;&amp;") || !strings.Contains(out, "`old'\\|<!--.json`") {
		t.Errorf("escaped text or code span missing:\n%s", out)
	}
}

// TestTableWidth renders the table for a 100-column terminal: every table
// line fits, long cells end in an ellipsis, no row wraps (one line per
// finding), FIXED-IN is there; golden.table100.
func TestTableWidth(t *testing.T) {
	r := result(t)
	o := opts
	o.Width = 100
	var buf bytes.Buffer
	if err := Table(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "+") {
			continue
		}
		if n := len([]rune(line)); n > 100 {
			t.Errorf("%d columns: %s", n, line)
		}
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| VERDICT") {
			rows++
		}
	}
	if rows != len(r.Findings) {
		t.Errorf("%d table rows for %d findings: a row wrapped or went missing", rows, len(r.Findings))
	}
	if !strings.Contains(buf.String(), "…") || !strings.Contains(buf.String(), "FIXED-IN") {
		t.Errorf("want truncated cells and a FIXED-IN column:\n%s", buf.String())
	}
	checkGolden(t, "golden.table100", buf.Bytes())
}

// TestTableGroupsInstances: identical instances of one component (same
// purl, advisory and decision at two places) are one row with a line that
// names where they are.
func TestTableGroupsInstances(t *testing.T) {
	r := result(t)
	dup := r.Findings[0]
	dup.FindingID += "x"
	dup.Component.Ref = "other-ref"
	r.Findings = append(r.Findings, dup)
	var buf bytes.Buffer
	if err := Table(&buf, r, opts); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, dup.AdvisoryID) != 2 || !strings.Contains(out, pkgText(&dup)+" ×2") ||
		!strings.Contains(out, ": 2 instances at ") || !strings.Contains(out, "other-ref") {
		t.Errorf("want one grouped row and an instances line:\n%s", out)
	}
}

func TestPolicyTest(t *testing.T) {
	rep, err := policytest.Run(context.Background(), "../../testdata/policytest", "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := PolicyTest(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"PASS ", "coverage ", fmt.Sprintf("%d passed, %d failed\n", rep.Passed, rep.Failed)} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sha256:") || strings.Contains(out, "\x1b[") {
		t.Errorf("full digest or colour in:\n%s", out)
	}
}

// TestVEXMissesShown: a VEX statement about a vulnerability the run found
// that applied to no finding — another version of the component, a product
// not in the SBOMs — changed no verdict, and every rendering says so, not
// only --format json's vexMatchReport: the user who gave it must see that
// the finding kept its VEX status. A statement about a vulnerability no
// finding has (a vendor VEX covering other CVEs) is not noise here.
func TestVEXMissesShown(t *testing.T) {
	r := result(t)
	r.VEXMatchReport = append(r.VEXMatchReport,
		engine.VEXUnmatched{StatementID: "sha256:aa", Vulnerability: "CVE-2021-44906", Reason: "version_mismatch", Detail: "product pkg:npm/minimist@1.2.4 vs component pkg:npm/minimist@1.2.5"},
		engine.VEXUnmatched{StatementID: "sha256:bb", Vulnerability: "CVE-2021-44906", Reason: "unknown_product", Detail: "product pkg:npm/not-in-sbom@1.0.0 vs component pkg:npm/minimist@1.2.5"},
		engine.VEXUnmatched{StatementID: "sha256:cc", Vulnerability: "CVE-2099-0002", Reason: "unknown_vulnerability", Detail: "no finding has CVE-2099-0002"})
	want := "2 VEX statements about vulnerabilities of these findings applied to none of them (vexMatchReport in --format json): " +
		"CVE-2021-44906 version_mismatch (product pkg:npm/minimist@1.2.4 vs component pkg:npm/minimist@1.2.5); " +
		"CVE-2021-44906 unknown_product (product pkg:npm/not-in-sbom@1.0.0 vs component pkg:npm/minimist@1.2.5)"
	for _, c := range []struct {
		name   string
		render func(w *bytes.Buffer) error
	}{
		{"table", func(w *bytes.Buffer) error { return Table(w, r, opts) }},
		{"markdown", func(w *bytes.Buffer) error { return Markdown(w, r, opts) }},
		{"sarif", func(w *bytes.Buffer) error { return SARIF(w, r, opts) }},
		{"junit", func(w *bytes.Buffer) error { return JUnit(w, r, Options{}) }},
		{"html", func(w *bytes.Buffer) error { return HTML(w, r) }},
	} {
		var b bytes.Buffer
		if err := c.render(&b); err != nil {
			t.Fatal(err)
		}
		out := strings.NewReplacer("\\u003e", ">", "&gt;", ">", "&#39;", "'", "\\(", "(", "\\)", ")").Replace(b.String())
		if !strings.Contains(out, "CVE-2021-44906 version_mismatch (product pkg:npm/minimist@1.2.4 vs component pkg:npm/minimist@1.2.5)") ||
			!strings.Contains(out, "2 VEX statements about vulnerabilities of these findings applied to none of them") || strings.Contains(out, "CVE-2099-0002") {
			t.Errorf("%s does not show the VEX statements that missed:\n%s", c.name, out)
		}
	}
	if got := vexMisses(r); got != want {
		t.Errorf("vexMisses = %q\nwant %q", got, want)
	}
}

// TestJUnitInstances: a package at two bom-refs of one SBOM gives two test
// cases; CI test reports key cases by class and name, so identical names
// would show one and hide the other. The instances' names carry their
// bom-ref; a package at one place keeps its name.
func TestJUnitInstances(t *testing.T) {
	r := result(t)
	twin := r.Findings[0]
	twin.FindingID, twin.Component.Ref = "finding:twin", "other-ref"
	r.Findings = append(r.Findings, twin)
	out := string(render(t, "junit", r))
	f := r.Findings[0]
	base := f.AdvisoryID + " " + pkgText(&f)
	for _, want := range []string{base + " (bom-ref " + f.Component.Ref + ")", base + " (bom-ref other-ref)"} {
		if !strings.Contains(out, `name="`+xmlEscape(want)+`"`) {
			t.Errorf("no case %q:\n%s", want, out)
		}
	}
	if o := r.Findings[1]; !strings.Contains(out, `name="`+xmlEscape(o.AdvisoryID+" "+pkgText(&o))+`"`) {
		t.Errorf("a package at one place changed its case name:\n%s", out)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TestShadowNotFailing: a shadow run (settings shadow, --shadow) records
// its findings without enforcing them and its gate never fails; its JUnit
// must not report failures (a CI dashboard shows red, some CIs fail the
// job) nor its SARIF errors (a code-scanning check may fail): the blocked
// verdicts are still there, marked not enforced.
func TestShadowNotFailing(t *testing.T) {
	r := result(t)
	r.Shadow = true
	for i := range r.Findings {
		r.Findings[i].Enforced = false
	}
	j := string(render(t, "junit", r))
	if strings.Contains(j, "<failure") || !strings.Contains(j, `failures="0"`) || !strings.Contains(j, "shadow: blocked by block_critical, not enforced") {
		t.Errorf("shadow JUnit fails or hides the blocked verdicts:\n%s", j)
	}
	var log struct {
		Runs []struct {
			Properties map[string]any `json:"properties"`
			Results    []struct {
				Level   string                `json:"level"`
				Message struct{ Text string } `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, "sarif", r), &log); err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, res := range log.Runs[0].Results {
		if res.Level == "error" {
			t.Errorf("shadow SARIF result at level error: %s", res.Message.Text)
		}
		if strings.HasSuffix(res.Message.Text, "; shadow: not enforced") {
			marked++
		}
	}
	if marked != len(r.Findings) || log.Runs[0].Properties["shadow"] != true {
		t.Errorf("%d of %d results marked not enforced, properties %v", marked, len(r.Findings), log.Runs[0].Properties)
	}
	// Enforced, as before.
	if j := string(render(t, "junit", result(t))); !strings.Contains(j, "<failure") {
		t.Errorf("enforced JUnit has no failure:\n%s", j)
	}
}

// TestJUnitKnownBlocked: under settings new_findings_only with a baseline,
// a finding the baseline blocked too only warns the run (docs/dsl.md
// "Gates"); its JUnit case is no failure either — a dashboard must not
// show red what did not fail the gate — and says why. A new one fails.
func TestJUnitKnownBlocked(t *testing.T) {
	r := result(t)
	var blocked []string
	for i := range r.Findings {
		if r.Findings[i].Verdict == engine.VerdictBlocked {
			blocked = append(blocked, r.Findings[i].FindingID)
		}
	}
	if len(blocked) < 2 {
		t.Fatalf("fixture blocks %d findings", len(blocked))
	}
	r.Gates = append(r.Gates, engine.Gate{Name: engine.GateNewFindings, Outcome: engine.GateBlock, Action: engine.GateBlock,
		Message: "1 new blocked finding; 1 blocked finding the baseline also blocked", Findings: blocked[:1]})
	j := string(render(t, "junit", r))
	if n := strings.Count(j, `<failure message="blocked`); n != 1 {
		t.Errorf("%d finding failures, want 1 (the new one):\n%s", n, j)
	}
	if !strings.Contains(j, "the baseline blocked it too (new_findings_only): it does not fail the run") {
		t.Errorf("the known blocked finding does not say why it passes:\n%s", j)
	}
}

// TestSARIFGateLevel: a finding counted by a run-level gate that does not
// pass takes the highest level of those gates (block: error, warn:
// warning) when it is higher than its verdict's, from the gates' outcomes.
func TestSARIFGateLevel(t *testing.T) {
	r := &engine.Result{Verdict: engine.VerdictBlocked, Findings: []engine.Finding{
		{FindingID: "f1", AdvisoryID: "A-1", Verdict: engine.VerdictPassed, Enforced: true},
		{FindingID: "f2", AdvisoryID: "A-2", Verdict: engine.VerdictPassed, Enforced: true},
		{FindingID: "f3", AdvisoryID: "A-3", Verdict: engine.VerdictPassed, Enforced: true},
		{FindingID: "f4", AdvisoryID: "A-4", Verdict: engine.VerdictPassed},
	}, Gates: []engine.Gate{
		{Name: "max-high", Outcome: engine.GateWarn, Findings: []string{"f1", "f2"}},
		{Name: "unknowns-budget", Outcome: engine.GateBlock, Findings: []string{"f2", "f4"}},
		{Name: "feed-age", Outcome: engine.GatePass, Findings: []string{"f3"}},
	}}
	var log struct {
		Runs []struct {
			Results []struct {
				Level string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, "sarif", r), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, res := range log.Runs[0].Results {
		got = append(got, res.Level)
	}
	if want := []string{"warning", "error", "note", "warning"}; !slices.Equal(got, want) {
		t.Errorf("levels %v, want %v", got, want)
	}
}
