package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/text"
)

// OutcomeNotices writes what an evaluation tells the user on stderr: the
// warnings of loose input files (each names its file), input timestamps
// left out of choosing the evaluation time, the time chosen from the
// inputs (docs/runs.md), and the result's notices.
func OutcomeNotices(w io.Writer, out *run.Outcome) {
	if out.Spec.Files != nil {
		for _, s := range out.Snapshot.Manifest.Sources {
			Problems(w, "warning", s.Warnings)
			Problems(w, "skipped", s.Skipped)
		}
		Problems(w, "warning", out.Snapshot.Manifest.Warnings)
	}
	if out.AtFuture > 0 {
		printf(w, "stella: warning: %s dated after now left out of choosing the evaluation time (--as-of inputs)\n", text.Count(out.AtFuture, "input timestamp", "input timestamps"))
	}
	if out.AtChosen && !out.At.IsZero() {
		printf(w, "stella: evaluation time %s (the newest timestamp among the inputs; set it with --as-of)\n", out.At.Format(time.RFC3339))
	}
	if out.Result != nil {
		for _, n := range out.Result.Notices {
			printf(w, "stella: warning: %s\n", n)
		}
	}
}

// LintSummary is the line `policy lint` ends with: how many files, errors,
// blocking diagnostics and warnings.
func LintSummary(s dsl.LintSummary) string {
	return string(sprintf("%s: %s, %d blocking, %s", text.Count(s.Files, "file", "files"), text.Count(s.Errors, "error", "errors"),
		s.Blocking, text.Count(s.Warnings, "warning", "warnings")))
}

// Outcome writes an evaluation's outcome in format (policy simulate, policy
// diff): json and yaml the simulation's value (SimulationValue; a set's
// result with its members), every other format its rendering (Simulation),
// a set's members under the table. Locations and advisory links come from
// out; o.Delta is the delta against a baseline, if any.
func Outcome(w io.Writer, format string, out *run.Outcome, o Options) error {
	o.Locate, o.HelpURI = out.Locator(), out.AdvisoryURL
	if format == "json" || format == "yaml" {
		var v any = SimulationValue(out.Result, out.Baseline, out.Diff, o.Delta)
		if out.Set != nil {
			v = out.Set // the set's result, with its members
		}
		return Value(w, format, v)
	}
	if err := Simulation(w, format, out.Result, out.Diff, o); err != nil || out.Set == nil || format != "table" {
		return err
	}
	return SetMembers(w, out.Set, o)
}

// OutcomeSummary is what an evaluation written in a format other than the
// table says on stderr: the result's summary, the diff against a baseline
// policy, the delta against a baseline (d).
func OutcomeSummary(w io.Writer, out *run.Outcome, d *delta.Delta) {
	printf(w, "stella: %s\n", Summary(out.Result))
	if s := out.Diff; s != nil {
		printf(w, "stella: against the baseline: %d changed, %d added, %d removed, %d newly blocked, %d no longer blocked\n",
			s.Summary.Changed, s.Summary.Added, s.Summary.Removed, s.Summary.NewBlocked, s.Summary.Unblocked)
	}
	if d != nil {
		printf(w, "stella: %s\n", DeltaSummary(d))
	}
}

// Recorded says on stderr what recording a run (run.Record) taught and
// warns about: the lessons recorded (docs/lessons.md), or why none were,
// and the recording's warnings.
func Recorded(w io.Writer, rec *run.Recorded) {
	if rec.LessonsErr != nil {
		printf(w, "stella: warning: no lessons recorded for %s: %v\n", rec.Record.RunID, rec.LessonsErr)
	}
	for _, l := range rec.Lessons {
		printf(w, "stella: lesson %s (%s): %s\n", l.ID, l.Type, l.Title)
	}
	for _, m := range rec.Warnings {
		printf(w, "stella: warning: %s\n", m)
	}
}

// RunLog is the attributes of the log record of a recorded run, started
// at started, in the tenant of the store it was recorded in.
func RunLog(out *run.Recorded, tenant string, started, completed time.Time) []any {
	rec := out.Record
	sboms := ""
	for i, s := range rec.Inputs.SBOMs {
		if i > 0 {
			sboms += ","
		}
		sboms += s.Digest
	}
	return []any{"runId", rec.RunID, "policyId", rec.Policy.PolicyID, "version", rec.Policy.Version,
		"irDigest", rec.Policy.IRDigest, "tenant", tenant, "shadow", rec.Shadow, "snapshotId", rec.Inputs.SnapshotID,
		"inputsHash", rec.Inputs.InputsHash, "sbomDigests", sboms, "advisoriesDigest", rec.Inputs.Advisories,
		"vexDigest", rec.Inputs.VEX, "status", rec.Status, "verdict", rec.Verdict, "signed", out.Envelope != nil,
		"durationMs", completed.Sub(started).Milliseconds()}
}

// ReplayDiffers is the stderr line of a replay whose outputs differ from
// the recorded run's: the first difference, else the verdicts, for a
// stored run; the archive replayed (evidence) for an evidence archive.
func ReplayDiffers(w io.Writer, rep *run.ReplayReport, evidence string) {
	if evidence != "" {
		printf(w, "stella: replay of %s (%s) differs from the recorded run\n", rep.RunID, evidence)
		return
	}
	where := "the outputs differ"
	if o, r := rep.Original.Verdict, rep.Replay.Verdict; o != r {
		where = fmt.Sprintf("verdict %s recorded, %s replayed", o, r)
	}
	if rep.First != nil {
		where = fmt.Sprintf("first difference: finding %s (%s)", rep.First.FindingID, rep.First.Kind)
	}
	printf(w, "stella: replay of %s differs from the recorded run: %s\n", rep.RunID, where)
}

// MatchNotes writes on stderr what `stella match` reports besides its
// matches: with vex, the VEX statements that apply to nothing (ndjson
// output, where stdout holds only matches); the warnings.
func MatchNotes(w io.Writer, out *run.Matches, vex bool) {
	if vex {
		for _, r := range out.VEXReport {
			printf(w, "vex: statement %s (%s): %s: %s\n", r.Statement, r.Vulnerability, r.Reason, r.Detail)
		}
	}
	for _, m := range out.Warnings {
		printf(w, "stella: warning: %s\n", m)
	}
}

// BundleClock warns on stderr when a bundle's staleness was judged by the
// system clock, and when it expires within 7 days.
func BundleClock(w io.Writer, rep *bundle.Report) {
	if rep == nil {
		return
	}
	if rep.AnchorFrom == "system-clock" {
		printf(w, "stella: warning: no --time-anchor given: staleness was checked against the system clock (%s)\n", rep.TimeAnchor)
	}
	if rep.Expiring != "" {
		printf(w, "stella: warning: %s\n", rep.Expiring)
	}
}

// BundleRun says on stderr what `policy run --bundle` took from the bundle:
// whether it imported it, and the policy version and snapshot it evaluates.
func BundleRun(w io.Writer, t *bundle.Target) {
	BundleClock(w, t.Import.Report)
	r := t.Import.Report
	if t.Import.Imported {
		printf(w, "stella: imported bundle %s (stream %s, sequence %d)\n", r.BundleID, r.Stream, r.Sequence)
	}
	printf(w, "stella: evaluating %s on snapshot %s from bundle %s\n", t.Policy.Ref(), t.SnapshotID, r.BundleID)
}

// Compared warns on stderr about what comparing with a baseline met: the
// baseline SBOM's problems and the comparison's warnings.
func Compared(w io.Writer, c *run.Compared) {
	if c == nil {
		return
	}
	Problems(w, "warning", c.Problems)
	for _, m := range c.Warnings {
		printf(w, "stella: warning: %s\n", m)
	}
}

// GateOutcome names the exit kind of a gate: passed, blocked or warned.
func GateOutcome(k fail.Kind) string {
	switch k {
	case fail.Blocked:
		return "blocked"
	case fail.Warned:
		return "warned"
	}
	return "passed"
}

// FailOnNotice says on stderr what --fail-on new-blocked|new-warned
// decided (k) against the baseline c or out's baseline policy: the verdict
// every other line reports is the whole build's, which is not what the
// exit code of a pull request's gate follows (docs/ci.md).
func FailOnNotice(w io.Writer, failOn string, k fail.Kind, out *run.Outcome, c *run.Compared) {
	decision := GateOutcome(k)
	if k != 0 {
		decision = strings.ToUpper(decision)
	}
	msg := fmt.Sprintf("gate --fail-on %s: %s", failOn, decision)
	switch {
	case c != nil:
		s := &c.Delta.Summary
		msg += fmt.Sprintf(" — %d newly blocked, %d newly warned", s.NewBlocked, s.NewWarned)
		if len(s.GatesNewlyBlocking) > 0 {
			msg += "; gates newly blocking: " + strings.Join(s.GatesNewlyBlocking, ", ")
		}
		if len(s.GatesNewlyWarning) > 0 {
			msg += "; gates newly warning: " + strings.Join(s.GatesNewlyWarning, ", ")
		}
	case out.Diff != nil:
		msg += fmt.Sprintf(" — %d newly blocked", out.Diff.Summary.NewBlocked)
	}
	printf(w, "stella: %s (the build's own verdict: %s)\n", msg, out.Result.Verdict)
}
