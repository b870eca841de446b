package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// JUnit writes one test suite per SBOM with a test case per finding (in
// finding order): blocked findings fail, quieted and ignored ones are
// skipped, warned ones pass with their warnings in system-out. A gate that
// blocks adds a failing case to a "gates" suite. A blocked finding (or
// blocking gate) the baseline blocked too, which the gate does not fail on
// (settings new_findings_only; --fail-on new-blocked|new-warned with
// o.Delta), passes with its reason, as SARIF makes it a warning
// (knownBlocks; docs/output.md "JUnit").
func JUnit(w io.Writer, r *engine.Result, o Options) error {
	doc := junitSuites{Name: "stella policy " + r.Policy.ID}
	bySBOM := map[string]int{}
	var suites []junitSuite
	// A package at several bom-refs of one SBOM: CI reports key cases by
	// class and name, so each instance's name carries its bom-ref.
	names := map[string]int{}
	known, blocking := knownBlocks(r, o)
	for i := range r.Findings {
		f := &r.Findings[i]
		names[f.Component.SBOM+"\x00"+f.Purl+"\x00"+f.AdvisoryID+" "+pkgText(f)]++
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		k, ok := bySBOM[f.Component.SBOM]
		if !ok {
			k = len(suites)
			bySBOM[f.Component.SBOM] = k
			suites = append(suites, junitSuite{Name: sbomName(r, f.Component.SBOM), Timestamp: r.EvaluationTime,
				Properties: []junitProperty{{"policyId", r.Policy.ID}, {"policyDigest", r.Policy.Digest}, {"sbom", f.Component.SBOM}}})
		}
		s := &suites[k]
		c := junitCase{Name: f.AdvisoryID + " " + pkgText(f), Classname: f.Purl}
		if names[f.Component.SBOM+"\x00"+f.Purl+"\x00"+c.Name] > 1 {
			c.Name += " (bom-ref " + f.Component.Ref + ")"
		}
		detail := fmt.Sprintf("finding %s\nseverity %s %s (VEX %s)\n", f.FindingID, f.Severity.Band, scoreText(f), f.VEXStatus)
		if len(f.FixedIn) > 0 {
			detail += "fixed in " + strings.Join(f.FixedIn, ", ") + "\n"
		}
		switch {
		case f.Verdict == engine.VerdictBlocked && !f.Enforced:
			// A shadow run (or an auditing member of a set) enforces
			// nothing: its blocked findings are no failures, and say so.
			c.SystemOut = &junitText{"shadow: blocked by " + cmpOr(f.Rule, "policy") + ", not enforced\n" + detail}
		case known(f) != "":
			c.SystemOut = &junitText{"blocked by " + cmpOr(f.Rule, "policy") + "; the baseline blocked it too (" + known(f) + "): it does not fail the run\n" + detail}
		case f.Verdict == engine.VerdictBlocked:
			msg := "blocked"
			if f.Rule != "" {
				msg += " by " + f.Rule
			}
			if f.Explain != nil && f.Explain.Verdict.Rationale != "" {
				msg += ": " + f.Explain.Verdict.Rationale
			}
			c.Failure = &junitMessage{Message: msg, Type: "blocked", Text: detail}
			s.Failures++
		case f.Verdict == engine.VerdictQuieted || f.Verdict == engine.VerdictIgnored:
			c.Skipped = &junitMessage{Message: f.Verdict + " by " + cmpOr(f.Rule, "policy")}
			s.Skipped++
		default:
			for _, wn := range f.Warnings {
				detail += "warning: " + wn + "\n"
			}
			c.SystemOut = &junitText{detail}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	gates := junitSuite{Name: "gates", Timestamp: r.EvaluationTime,
		Properties: []junitProperty{{"policyId", r.Policy.ID}, {"policyDigest", r.Policy.Digest}}}
	for _, b := range r.Summary.BySeverity.List() {
		gates.Properties = append(gates.Properties, junitProperty{"severity." + strings.ToLower(b.Band), strconv.Itoa(b.Count)})
	}
	for _, g := range r.Gates {
		c := junitCase{Name: g.Name, Classname: "gates"}
		switch {
		case g.Outcome == engine.GateBlock && !r.Shadow && !blocking(g.Name):
			c.SystemOut = &junitText{g.Outcome + ": " + g.Message + "; it blocked the baseline too (--fail-on " + o.FailOn + "): it does not fail the run\n"}
		case g.Outcome == engine.GateBlock && !r.Shadow:
			c.Failure = &junitMessage{Message: g.Message, Type: "gate"}
			gates.Failures++
		default:
			c.SystemOut = &junitText{g.Outcome + ": " + g.Message + "\n"}
		}
		gates.Tests++
		gates.Cases = append(gates.Cases, c)
	}
	if n := r.Summary.BySeverity.Unknown; n > 0 {
		// Not a failure (the policy decides that), but never silent.
		gates.Tests++
		gates.Cases = append(gates.Cases, junitCase{Name: "severity-unknown", Classname: "gates",
			SystemOut: &junitText{fmt.Sprintf("%d findings of unknown severity (by severity: %s)\n", n, SeverityCounts(r))}})
	}
	gates.Properties = append(gates.Properties, junitProperty{"coverage.unchecked", strconv.Itoa(r.Summary.Unchecked)})
	if n := r.Summary.Unchecked; n > 0 {
		// Not a failure unless a gate says so (unchecked-budget), but never
		// silent (docs/output.md "Coverage").
		gates.Tests++
		gates.Cases = append(gates.Cases, junitCase{Name: "coverage-unchecked", Classname: "gates",
			SystemOut: &junitText{fmt.Sprintf("%d components not checked against any advisory (%s)\n", n, UncheckedList(r))}})
	}
	if ws := resultWarnings(r); len(ws) > 0 {
		// What the inputs did not let stella check (ranges not evaluated,
		// stale data, expired exceptions…): not a failure, never silent.
		gates.Tests++
		gates.Cases = append(gates.Cases, junitCase{Name: "warnings", Classname: "gates",
			SystemOut: &junitText{strings.Join(ws, "\n") + "\n"}})
	}
	if gates.Tests > 0 {
		suites = append(suites, gates)
	}
	for _, s := range suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	doc.Suites = suites
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// sbomName is the name of the SBOM with digest d, or d.
func sbomName(r *engine.Result, d string) string {
	for _, s := range r.Inputs.SBOMs {
		if s.Digest == d && s.Name != "" {
			return s.Name
		}
	}
	return d
}
