package report

import (
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
)

// OutcomeFormat refuses a format an evaluation's outcome is not written in
// (Outcome: a report format, or yaml); diff says the command is policy
// diff, whose message points at policy simulate's.
func OutcomeFormat(format string, diff bool) error {
	switch {
	case format == "yaml" || slices.Contains(Formats, format):
		return nil
	case diff:
		return fail.New(fail.Invalid, "--format %s: policy diff writes the formats of policy simulate", format)
	}
	return fail.New(fail.Invalid, "--format %s: policy simulate writes table, json, yaml, ndjson, %s", format, strings.Join(Formats[3:], ", "))
}

// Simulated writes an evaluation's outcome (policy simulate, policy diff)
// in format on w (Outcome, with the delta of c when there is a baseline),
// and on info what goes beside it: the summary when the format is not the
// table (OutcomeSummary) and, under --fail-on new-blocked|new-warned
// (failOn), what that gate decided, k (FailOnNotice; the markdown heading
// names it too).
func Simulated(w, info io.Writer, format string, out *run.Outcome, c *run.Compared, failOn string, k fail.Kind, o Options) error {
	if c != nil {
		o.Delta = c.Delta
	}
	if strings.HasPrefix(failOn, "new-") {
		o.FailOn, o.FailOnOutcome = failOn, GateOutcome(k)
	}
	if err := Outcome(w, format, out, o); err != nil {
		return err
	}
	if format != "table" {
		OutcomeSummary(info, out, o.Delta)
	}
	if o.FailOn != "" {
		FailOnNotice(info, failOn, k, out, c)
	}
	return nil
}
