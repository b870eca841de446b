package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/lessons"
	"github.com/stella-policy/stella/internal/store"
)

type lessonsConvertOptions struct {
	gov govFlags
}

func newLessonsConvertCmd(app *App) *cobra.Command {
	opts := &lessonsConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert L-n --key KEY",
		Short: "Draft a new policy version with the lesson's proposed change and evidence (policy:author)",
		Long: `Draft the next version of the lesson's policy: its latest source with a
concrete change — near_threshold: the gate tightened to what the run
observed; failure: a rule blocking the advisories that blocked the run;
critical_success: a rule blocking the fixed advisories again, so that a
regression blocks — and the lesson with its evidence in metadata lesson.
The draft goes through review and approval like any other (never
approved automatically); policy versions and policy diff show it. The
lesson becomes converted_to_draft. A lesson that is not pending is refused
(exit 3).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLessonsConvert(cmd.Context(), app, args[0], opts)
		},
	}
	opts.gov.addFlags(cmd)
	return cmd
}

func runLessonsConvert(ctx context.Context, app *App, ref string, opts *lessonsConvertOptions) error {
	id, err := lessonRef(ref)
	if err != nil {
		return err
	}
	return app.govCommand(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) error {
		var l store.Lesson
		var src []byte
		err := reg.Store.View(ctx, func(tx *store.Tx) error {
			if l, err = tx.Lesson(ctx, id); err != nil {
				return err
			}
			if err := lessons.CheckConvertible(l); err != nil {
				return err
			}
			pv, err := tx.PolicyVersion(ctx, l.PolicyID, 0)
			if fail.Is(err, fail.NotFound) {
				return fail.New(fail.NotFound, "lesson %s is about %s, which is no registered policy (a run of a file): register it with policy new first", l.ID, l.PolicyID)
			}
			if err != nil {
				return err
			}
			src, err = tx.Blob(ctx, pv.SourceDigest)
			return err
		})
		if err != nil {
			return err
		}
		file := l.PolicyID + ".stella (lesson " + l.ID + ")"
		next, change, err := lessons.Propose(l, file, src)
		if err != nil {
			return err
		}
		t, res, err := reg.Draft(ctx, act, l.PolicyID, file, next)
		if res != nil && len(res.Diagnostics) > 0 && !app.Global.Quiet {
			if rerr := app.diagnostics(res.Diagnostics, next); rerr != nil {
				return rerr
			}
		}
		if err != nil {
			return err
		}
		if err := reg.Store.Update(ctx, func(tx *store.Tx) error {
			_, err := lessons.Transition(ctx, tx, id, lessons.EventConverted, act.Entry.Principal, func(l *store.Lesson) { l.Draft = t.Subject })
			return err
		}); err != nil {
			return err
		}
		app.infof("stella: lesson %s converted: %s drafts %s", id, t.Subject, change)
		return app.renderTransition(t)
	})
}
