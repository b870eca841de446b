package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

func newPolicyRunsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "Inspect recorded runs"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show RUN",
		Short: "Show one recorded run: its record, timing and attestation",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyRunsShow(cmd.Context(), app, args[0])
		},
	})
	return cmd
}

func runPolicyRunsShow(ctx context.Context, app *App, runID string) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	var r *store.Run
	if err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveRun(ctx, runID)
		if err != nil {
			return err
		}
		r, err = tx.Run(ctx, id)
		return err
	}); err != nil {
		return err
	}
	var rec store.RunRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil {
		return err
	}
	return app.render(r, func(w io.Writer) error {
		s := app.styles()
		policy := r.PolicyID
		if r.PolicyVersion > 0 {
			policy = fmt.Sprintf("%s@%d", r.PolicyID, r.PolicyVersion)
		}
		rows := [][2]string{
			{"run", r.RunID},
			{"policy", policy},
			{"ir digest", r.IRDigest},
			{"mode", fmt.Sprintf("%s, shadow %v", r.Mode, r.Shadow)},
			{"status", r.Status},
			{"verdict", report.VerdictText(r.Verdict, s.color)},
			{"snapshot", report.Dash(r.SnapshotID)},
			{"inputs hash", r.InputsHash},
			{"evaluation time", r.EvaluationTime},
			{"started", r.StartedAt},
			{"duration", fmt.Sprintf("%dms", r.DurationMS)},
			{"findings", fmt.Sprintf("%d (passed %d, warned %d, blocked %d, quieted %d, ignored %d)", r.Findings,
				rec.Stats.ByVerdict.Passed, rec.Stats.ByVerdict.Warned, rec.Stats.ByVerdict.Blocked, rec.Stats.ByVerdict.Quieted, rec.Stats.ByVerdict.Ignored)},
			{"rules fired", fmt.Sprint(rec.Stats.RulesFired)},
			{"unknowns", fmt.Sprint(rec.Stats.Unknowns)},
			{"findings digest", report.Dash(r.FindingsDigest)},
			{"explains digest", report.Dash(r.ExplainsDigest)},
			{"signed", fmt.Sprint(r.Signed)},
		}
		if rec.Set != nil {
			// A set run: each member, after the set's digest.
			var ms [][2]string
			for _, m := range rec.Set.Members {
				ms = append(ms, [2]string{"set member", setMemberLine(m)})
			}
			rows = slices.Insert(rows, 3, ms...)
		}
		for _, kv := range rec.Inputs.Env {
			rows = append(rows, [2]string{"env " + kv.Key, kv.Value})
		}
		if r.Error != "" {
			rows = append(rows, [2]string{"error", r.Error})
		}
		for _, row := range rows {
			if _, err := fmt.Fprintf(w, "%-16s %s\n", row[0], row[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
