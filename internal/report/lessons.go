package report

import (
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/governance"
)

// The terminal forms of the lessons commands (docs/lessons.md).

// Lessons writes `lessons ls`: one row a lesson.
func Lessons(w io.Writer, ls []governance.Lesson, o Options) error {
	t := NewTable(w, o.TTY, "LESSON", "TYPE", "STATUS", "POLICY", "SEVERITY", "GATE", "BAND", "EVALUATED", "TITLE")
	for _, l := range ls {
		t.Append(l.ID, l.Type, l.Status, l.PolicyID, l.Severity, l.Gate, l.Band, l.EvaluationTime, l.Title)
	}
	return t.Render()
}

// Lesson writes `lessons show`: what happened, the proposed action, the
// evidence.
func Lesson(w io.Writer, l governance.Lesson, _ Options) error {
	printf(w, "%s  %s  %s\n  %s\n", l.ID, l.Type, l.Status, l.Title)
	printf(w, "  run        %s (%s, evaluated %s)\n", l.SourceRun, l.PolicyID, l.EvaluationTime)
	for _, kv := range [][2]string{{"severity", l.Severity}, {"gate", l.Gate}, {"band", l.Band}, {"label", l.Label}, {"draft", l.Draft},
		{"deferred", l.DeferredUntil}, {"reason", l.Reason}} {
		if kv[1] != "" {
			printf(w, "  %-10s %s\n", kv[0], kv[1])
		}
	}
	_, err := printf(w, "  what       %s\n  proposed   %s\n  evidence   %s\n", l.Description, l.ProposedAction, l.Evidence)
	return err
}

// LessonConverted writes the status line of `lessons convert`: the lesson,
// the draft it became and what the draft changed.
func LessonConverted(w io.Writer, c *governance.LessonDraft) {
	fmt.Fprintf(w, "stella: lesson %s converted: %s drafts %s\n", c.Lesson, c.Transition.Subject, c.Change)
}

// LessonMoved writes a lesson that `lessons defer|dismiss|reactivate`
// moved: the audit event and who acted, the new status.
func LessonMoved(w io.Writer, l governance.Lesson, event, principal string) error {
	_, err := printf(w, "%s  %s by %s\n  status  %s\n", l.ID, event, principal, l.Status)
	return err
}
