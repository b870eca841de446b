package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

func newLessonsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "lessons", Short: "Lessons learned from recorded runs: list, show, convert to a draft, defer, dismiss, reactivate"}
	cmd.AddCommand(newLessonsLsCmd(app), newLessonsShowCmd(app), newLessonsConvertCmd(app),
		newLessonsMoveCmd(app, "defer"), newLessonsMoveCmd(app, "dismiss"), newLessonsMoveCmd(app, "reactivate"))
	return cmd
}

func newLessonsLsCmd(app *App) *cobra.Command {
	f := &store.LessonFilter{}
	cmd := &cobra.Command{
		Use:   "ls [--status S] [--type T]",
		Short: "List lessons",
		Long: `List the tenant's lessons (docs/lessons.md): failure, near_threshold and
critical_success, recorded after every recorded run; --status pending,
converted_to_draft, deferred or dismissed; --type one of the three.`,
		Args: exactArgs(0),
		RunE: runE(app, f, runLessonsLs),
	}
	cmd.Flags().StringVar(&f.Status, "status", "", "pending, converted_to_draft, deferred or dismissed")
	cmd.Flags().StringVar(&f.Type, "type", "", "failure, near_threshold or critical_success")
	return cmd
}

func runLessonsLs(ctx context.Context, app *App, f *store.LessonFilter, _ []string) error {
	return show(ctx, app, func(st *store.Store) ([]governance.Lesson, error) { return governance.Lessons(ctx, st, *f) }, report.Lessons)
}
