package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
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
		RunE: runE(app, opts, runLessonsConvert),
	}
	opts.gov.addFlags(cmd)
	return cmd
}

func runLessonsConvert(ctx context.Context, app *App, opts *lessonsConvertOptions, args []string) error {
	id, err := governance.ParseLessonID(args[0])
	if err != nil {
		return err
	}
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		c, err := reg.ConvertLesson(ctx, act, id)
		if c != nil && c.Compiled != nil && len(c.Compiled.Diagnostics) > 0 && !app.Global.Quiet {
			if rerr := app.diagnostics(c.Compiled.Diagnostics, c.Source); rerr != nil {
				return nil, rerr
			}
		}
		if err != nil {
			return nil, err
		}
		report.LessonConverted(app.info(), c)
		return c.Transition, nil
	})
}
