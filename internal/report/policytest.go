package report

import (
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/policytest"
)

// PolicyTest writes the text report of `stella policy test`: a PASS or FAIL
// line per case with its failures, each policy's rule coverage, and the
// totals.
func PolicyTest(w io.Writer, rep *policytest.Report, color bool) error {
	p := newPalette(color)
	for _, c := range rep.Cases {
		mark := p.paint(p.good, "PASS")
		if !c.Passed {
			mark = p.paint(p.bad, "FAIL")
		}
		printf(w, "%s %s (%s: %s, %d findings)\n", mark, c.Name, c.Policy, c.Verdict, c.Findings)
		for _, f := range c.Failures {
			printf(w, "    %s\n", f)
		}
	}
	for _, cv := range rep.Coverage {
		covered := len(cv.Rules) - len(cv.Unmatched)
		printf(w, "coverage %q %s: %d of %d rules matched", cv.Policy, canon.Short(cv.Digest, 12), covered, len(cv.Rules))
		if len(cv.Unmatched) > 0 {
			printf(w, "; never matched: %s", strings.Join(cv.Unmatched, ", "))
		}
		printLine(w)
	}
	verdict := p.paint(p.good, "ok")
	if rep.Failed > 0 {
		verdict = p.paint(p.bad, "FAILED")
	}
	_, err := printf(w, "%s: %d passed, %d failed\n", verdict, rep.Passed, rep.Failed)
	return err
}
