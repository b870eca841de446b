package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/engine"
)

// junitFailed renders r as JUnit and returns the document's failure count
// and, per case name, its failure message or, for a passing case, its
// system-out prefixed "pass: ".
func junitFailed(t *testing.T, r *engine.Result, o Options) (int, map[string]string) {
	t.Helper()
	var b bytes.Buffer
	if err := JUnit(&b, r, o); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	cases := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				cases[c.Name] = c.Failure.Message
			case c.SystemOut != nil:
				cases[c.Name] = "pass: " + c.SystemOut.Text
			default:
				cases[c.Name] = "pass"
			}
		}
	}
	return doc.Failures, cases
}

// TestJUnitLikeSARIF: JUnit fails what SARIF makes an error and passes,
// with the reason, the blocked findings and gates SARIF makes warnings
// because the baseline blocked them too (TestSARIFKnownBlocked).
func TestJUnitLikeSARIF(t *testing.T) {
	failed := func(cases map[string]string, prefix string) bool {
		for name, msg := range cases {
			if strings.HasPrefix(name, prefix) {
				return !strings.HasPrefix(msg, "pass")
			}
		}
		t.Fatalf("no case %s in %v", prefix, cases)
		return false
	}
	if n, _ := junitFailed(t, knownBlocked(), Options{}); n != 2 {
		t.Errorf("no baseline: %d failures, want 2", n)
	}

	r := knownBlockedNewOnly()
	n, cases := junitFailed(t, r, Options{})
	if n != 2 || !failed(cases, "A-1 ") || failed(cases, "A-2 ") || !failed(cases, engine.GateNewFindings) {
		t.Errorf("new_findings_only: %d failures, cases %q; want A-1 and the gate failing, A-2 passing", n, cases)
	}

	r, d := knownBlockedDelta()
	n, cases = junitFailed(t, r, Options{FailOn: "new-blocked", Delta: d})
	if n != 2 || !failed(cases, "A-1 ") || failed(cases, "A-2 ") || failed(cases, engine.GateMaxHigh) || !failed(cases, engine.GateUnchecked) {
		t.Errorf("--fail-on new-blocked: %d failures, cases %q; want A-1 and unchecked-budget failing", n, cases)
	}
	if !strings.Contains(cases["A-2 "+pkgText(&r.Findings[1])], "the baseline blocked it too (--fail-on new-blocked): it does not fail the run") {
		t.Errorf("--fail-on new-blocked: A-2 says %q", cases)
	}
	// --fail-on blocked with the same delta: the verdict decides.
	if n, _ := junitFailed(t, r, Options{Delta: d}); n != 4 {
		t.Errorf("--fail-on blocked: %d failures, want 4", n)
	}
}
