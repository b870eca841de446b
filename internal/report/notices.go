package report

import (
	"io"
	"time"

	"github.com/stella-policy/stella/internal/dsl"
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
