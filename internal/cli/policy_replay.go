package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
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

// replayReport is the output of `policy replay`.
type replayReport struct {
	RunID     string         `json:"runId"`
	Identical bool           `json:"identical"`
	Original  replayDigests  `json:"original"`
	Replay    replayDigests  `json:"replay"`
	First     *replayFinding `json:"firstDifference,omitempty"`
}

type replayDigests struct {
	Findings       int    `json:"findings"`
	FindingsDigest string `json:"findingsDigest"`
	ExplainsDigest string `json:"explainsDigest"`
}

// replayFinding is the first finding, in finding id order, that differs.
type replayFinding struct {
	FindingID string          `json:"findingId"`
	Kind      string          `json:"kind"`             // changed, missing (only in the original), extra (only in the replay)
	Fields    []string        `json:"fields,omitempty"` // top-level fields that differ, sorted
	Original  json.RawMessage `json:"original,omitempty"`
	Replay    json.RawMessage `json:"replay,omitempty"`
}

func runPolicyReplay(ctx context.Context, app *App, runID string) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	var r *store.Run
	var out *store.RunOutput
	var irBytes, sourceMap []byte
	err = st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveRun(ctx, runID)
		if err != nil {
			return err
		}
		if r, err = tx.Run(ctx, id); err != nil {
			return err
		}
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.Invalid, "run %s %s; only succeeded runs have outputs to replay", r.RunID, r.Status)
		}
		if irBytes, err = tx.RunIR(ctx, r); err != nil {
			return err
		}
		if sourceMap, err = tx.RunSourceMap(ctx, r); err != nil {
			return err
		}
		out, err = tx.VerifiedOutputs(ctx, r)
		return err
	})
	if err != nil {
		return err
	}
	var rec store.RunRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil {
		return fail.New(fail.Integrity, "run %s: stored record does not decode: %v", r.RunID, err)
	}
	snapID := rec.Inputs.SnapshotID
	if snapID == "" {
		return fail.New(fail.Invalid, "run %s was evaluated on loose input files, which were not kept; it cannot be replayed", r.RunID)
	}
	spec := run.Spec{Env: rec.Inputs.Env, Shadow: rec.Shadow}
	if rec.Set != nil {
		spec.Set, err = run.LoadSet(ctx, st, r.RunID, rec.Set)
	} else {
		spec.Policy, err = run.DecodePolicy(r.RunID, irBytes, sourceMap)
	}
	if err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, rec.Inputs.EvaluationTime)
	if err != nil {
		return fail.New(fail.Integrity, "run %s: stored evaluation time %q: %v", r.RunID, rec.Inputs.EvaluationTime, err)
	}
	snap, err := run.StoredSnapshot(ctx, st, snapID)
	if fail.Is(err, fail.NotFound) {
		return fail.New(fail.NotFound, "run %s was evaluated on snapshot %s, which is not in this database; import it (stella snapshot import DIR) to replay", r.RunID, snapID)
	}
	if err != nil {
		return err
	}
	spec.Snapshot, spec.At = snap, at
	ev, err := run.Evaluate(ctx, spec)
	if err != nil {
		return err
	}
	res := ev.Result
	rep := replayReport{
		RunID:    r.RunID,
		Original: replayDigests{Findings: r.Findings, FindingsDigest: r.FindingsDigest, ExplainsDigest: r.ExplainsDigest},
		Replay:   replayDigests{Findings: len(res.Findings), FindingsDigest: res.Digests.Findings, ExplainsDigest: res.Digests.Explains},
	}
	rep.Identical = rep.Original == rep.Replay
	if !rep.Identical {
		if rep.First, err = firstDifference(out, res); err != nil {
			return err
		}
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		payload := map[string]any{"runId": r.RunID, "identical": rep.Identical,
			"findingsDigest": rep.Replay.FindingsDigest, "explainsDigest": rep.Replay.ExplainsDigest}
		if rep.First != nil {
			payload["firstDifference"] = rep.First.FindingID
		}
		_, err := tx.Append(ctx, "policy.run.replayed", "cli", r.RunID, payload)
		return err
	})
	if err != nil {
		return err
	}
	app.Log.Info("policy replay", "runId", r.RunID, "tenant", st.Tenant(), "identical", rep.Identical,
		"findingsDigest", rep.Replay.FindingsDigest, "explainsDigest", rep.Replay.ExplainsDigest)
	if err := app.render(rep, func(w io.Writer) error { return app.replayTable(w, &rep) }); err != nil {
		return err
	}
	if !rep.Identical {
		where := "the outputs differ"
		if rep.First != nil {
			where = fmt.Sprintf("first difference: finding %s (%s)", rep.First.FindingID, rep.First.Kind)
		}
		app.infof("stella: replay of %s differs from the recorded run: %s", r.RunID, where)
		return exitWith(fail.Integrity)
	}
	return nil
}

// firstDifference finds the first finding, in finding id order, whose
// canonical JSON (without trace) or explain trace differs between the
// stored outputs and the replay.
func firstDifference(out *store.RunOutput, res *engine.Result) (*replayFinding, error) {
	var stored []json.RawMessage
	if err := json.Unmarshal(out.Findings, &stored); err != nil {
		return nil, err
	}
	orig := map[string]json.RawMessage{}
	var ids []string
	for _, b := range stored {
		var f struct {
			ID string `json:"findingId"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, err
		}
		orig[f.ID] = b
		ids = append(ids, f.ID)
	}
	now := map[string]json.RawMessage{}
	for _, f := range res.Findings {
		f.Explain = nil
		b, err := canon.Marshal(f)
		if err != nil {
			return nil, err
		}
		now[f.FindingID] = b
		if _, ok := orig[f.FindingID]; !ok {
			ids = append(ids, f.FindingID)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		o, inOrig := orig[id]
		n, inNow := now[id]
		switch {
		case !inNow:
			return &replayFinding{FindingID: id, Kind: "missing", Original: o}, nil
		case !inOrig:
			return &replayFinding{FindingID: id, Kind: "extra", Replay: n}, nil
		case !bytes.Equal(o, n):
			return &replayFinding{FindingID: id, Kind: "changed", Fields: diffFields(o, n), Original: o, Replay: n}, nil
		}
	}
	return nil, nil
}

// diffFields lists the top-level fields whose values differ.
func diffFields(a, b []byte) []string {
	var ma, mb map[string]json.RawMessage
	json.Unmarshal(a, &ma)
	json.Unmarshal(b, &mb)
	var out []string
	for k, v := range ma {
		if !bytes.Equal(v, mb[k]) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (a *App) replayTable(w io.Writer, rep *replayReport) error {
	s := a.styles()
	if rep.Identical {
		fmt.Fprintf(w, "%s %s: %d findings, findings %s, explains %s\n", s.paint(s.good, "identical"), rep.RunID,
			rep.Replay.Findings, rep.Replay.FindingsDigest, rep.Replay.ExplainsDigest)
		return nil
	}
	fmt.Fprintf(w, "%s %s\n", s.paint(s.bad, "DIFFERENT"), rep.RunID)
	fmt.Fprintf(w, "  recorded  %d findings, findings %s, explains %s\n", rep.Original.Findings, rep.Original.FindingsDigest, rep.Original.ExplainsDigest)
	fmt.Fprintf(w, "  replayed  %d findings, findings %s, explains %s\n", rep.Replay.Findings, rep.Replay.FindingsDigest, rep.Replay.ExplainsDigest)
	if f := rep.First; f != nil {
		fmt.Fprintf(w, "  first difference: %s (%s)", f.FindingID, f.Kind)
		if len(f.Fields) > 0 {
			fmt.Fprintf(w, " in %v", f.Fields)
		}
		fmt.Fprintln(w)
		if f.Original != nil {
			fmt.Fprintf(w, "    recorded  %s\n", f.Original)
		}
		if f.Replay != nil {
			fmt.Fprintf(w, "    replayed  %s\n", f.Replay)
		}
	}
	return nil
}
