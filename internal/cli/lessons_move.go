package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/lessons"
	"github.com/stella-policy/stella/internal/store"
)

type lessonsMoveOptions struct {
	gov    govFlags
	until  string
	reason string
}

// newLessonsMoveCmd builds defer, dismiss and reactivate: the transitions
// of the lesson state machine other than convert.
func newLessonsMoveCmd(app *App, verb string) *cobra.Command {
	opts := &lessonsMoveOptions{}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLessonsMove(cmd.Context(), app, verb, args[0], opts)
		},
	}
	switch verb {
	case "defer":
		cmd.Flags().StringVar(&opts.until, "until", "", "when the lesson comes due: an RFC 3339 time, a date, or an age (7d)")
	case "dismiss":
		cmd.Flags().StringVar(&opts.reason, "reason", "", "why the lesson is dismissed (required)")
	}
	opts.gov.addFlags(cmd)
	return cmd
}

func runLessonsMove(ctx context.Context, app *App, verb, ref string, opts *lessonsMoveOptions) error {
	id, err := lessonRef(ref)
	if err != nil {
		return err
	}
	event := map[string]string{"defer": lessons.EventDeferred, "dismiss": lessons.EventDismissed, "reactivate": lessons.EventReactivated}[verb]
	if verb == "dismiss" && strings.TrimSpace(opts.reason) == "" {
		return fail.New(fail.Invalid, "dismiss needs --reason TEXT")
	}
	if verb == "defer" && opts.until == "" {
		return fail.New(fail.Invalid, "defer needs --until TS|DATE|AGE")
	}
	return app.govCommand(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) error {
		var until string
		if verb == "defer" {
			if until, err = lessons.ParseUntil(opts.until, reg.Store.Now(), governance.ParseAge); err != nil {
				return err
			}
		}
		var l store.Lesson
		if err := reg.Store.Update(ctx, func(tx *store.Tx) error {
			l, err = lessons.Transition(ctx, tx, id, event, act.Entry.Principal, func(l *store.Lesson) {
				switch verb {
				case "defer":
					l.DeferredUntil = until
				case "dismiss":
					l.Reason = opts.reason
				case "reactivate":
					l.DeferredUntil = ""
				}
			})
			return err
		}); err != nil {
			return err
		}
		return app.render(l, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s  %s by %s\n  status  %s\n", l.ID, event, act.Entry.Principal, l.Status)
			return err
		})
	})
}
