package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

func newPolicyReplayCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "replay RUN|latest",
		Short: "Re-evaluate a stored run from its frozen inputs and IR; compare the outputs",
		Long: `Re-evaluate a recorded run from what the database froze for it — the stored
IR and source map, the stored snapshot, the run's env, evaluation time and
shadow flag — and compare the findings and explain digests with the
original. Exit 0 when they are identical, 6 on any difference, showing the
first differing finding. The outcome is recorded as a policy.run.replayed
audit event; the run itself is not changed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyReplay(cmd.Context(), app, args[0])
		},
	}
}

func runPolicyReplay(ctx context.Context, app *App, runID string) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := run.Replay(ctx, st, runID, "cli")
	if err != nil {
		return err
	}
	app.Log.Info("policy replay", "runId", rep.RunID, "tenant", st.Tenant(), "identical", rep.Identical,
		"findingsDigest", rep.Replay.FindingsDigest, "explainsDigest", rep.Replay.ExplainsDigest)
	if err := app.render(rep, func(w io.Writer) error { return report.ReplayTable(w, rep, report.Options{Color: app.Color()}) }); err != nil {
		return err
	}
	if !rep.Identical {
		where := "the outputs differ"
		if rep.First != nil {
			where = fmt.Sprintf("first difference: finding %s (%s)", rep.First.FindingID, rep.First.Kind)
		}
		app.infof("stella: replay of %s differs from the recorded run: %s", rep.RunID, where)
		return exitWith(fail.Integrity)
	}
	return nil
}
