package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/lessons"
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
	id, err := lessons.ParseID(ref)
	if err != nil {
		return err
	}
	return show(ctx, app, func(st *store.Store) (store.Lesson, error) { return lessons.Get(ctx, st, id) }, func(w io.Writer, l store.Lesson, _ report.Options) error {
		fmt.Fprintf(w, "%s  %s  %s\n  %s\n", l.ID, l.Type, l.Status, l.Title)
		fmt.Fprintf(w, "  run        %s (%s, evaluated %s)\n", l.SourceRun, l.PolicyID, l.EvaluationTime)
		for _, kv := range [][2]string{{"severity", l.Severity}, {"gate", l.Gate}, {"band", l.Band}, {"label", l.Label}, {"draft", l.Draft},
			{"deferred", l.DeferredUntil}, {"reason", l.Reason}} {
			if kv[1] != "" {
				fmt.Fprintf(w, "  %-10s %s\n", kv[0], kv[1])
			}
		}
		fmt.Fprintf(w, "  what       %s\n  proposed   %s\n  evidence   %s\n", l.Description, l.ProposedAction, l.Evidence)
		return nil
	})
}
