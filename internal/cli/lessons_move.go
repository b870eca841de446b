package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type lessonsMoveOptions struct {
	gov  govFlags
	move governance.LessonMove
}

// newLessonsMoveCmd builds defer, dismiss and reactivate: the transitions
// of the lesson state machine other than convert.
func newLessonsMoveCmd(app *App, verb string) *cobra.Command {
	opts := &lessonsMoveOptions{move: governance.LessonMove{Verb: verb}}
	short := map[string]string{
		"defer":      "Defer a pending lesson until a time (reactivate brings it back)",
		"dismiss":    "Dismiss a pending lesson with a reason (terminal)",
		"reactivate": "Bring a deferred lesson back to pending",
	}[verb]
	use := map[string]string{"defer": "defer L-n --until TS|DATE|AGE --key KEY", "dismiss": "dismiss L-n --reason TEXT --key KEY", "reactivate": "reactivate L-n --key KEY"}[verb]
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `. Any trusted key acts; the transition is an audit event
(lesson.deferred, lesson.dismissed, lesson.reactivated). The state machine
(docs/lessons.md): pending → converted_to_draft | deferred | dismissed,
deferred → pending by reactivate only; anything else is refused (exit 3).`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runLessonsMove),
	}
	switch verb {
	case "defer":
		cmd.Flags().StringVar(&opts.move.Until, "until", "", "when the lesson comes due: an RFC 3339 time, a date, or an age (7d)")
	case "dismiss":
		cmd.Flags().StringVar(&opts.move.Reason, "reason", "", "why the lesson is dismissed (required)")
	}
	opts.gov.addFlags(cmd)
	return cmd
}

func runLessonsMove(ctx context.Context, app *App, opts *lessonsMoveOptions, args []string) error {
	opts.move.ID = args[0]
	if err := opts.move.Check(); err != nil {
		return err
	}
	return app.govCommand(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) error {
		l, err := reg.MoveLesson(ctx, act, opts.move)
		if err != nil {
			return err
		}
		return app.render(l, func(w io.Writer) error { return report.LessonMoved(w, l, opts.move.Event(), act.Entry.Principal) })
	})
}
