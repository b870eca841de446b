package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

func newLessonsShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show L-n",
		Short: "Show a lesson: what happened, the proposed action, the evidence",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLessonsShow(cmd.Context(), app, args[0])
		},
	}
}

func runLessonsShow(ctx context.Context, app *App, ref string) error {
	id, err := governance.ParseLessonID(ref)
	if err != nil {
		return err
	}
	return show(ctx, app, func(st *store.Store) (governance.Lesson, error) { return governance.GetLesson(ctx, st, id) }, report.Lesson)
}
