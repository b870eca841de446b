package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/evidence"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyReplayOptions struct {
	evidence evidenceFlags
}

func newPolicyReplayCmd(app *App) *cobra.Command {
	opts := &policyReplayOptions{}
	cmd := &cobra.Command{
		Use:   "replay RUN|latest|evidence.tar [--key PUB]",
		Short: "Re-evaluate a stored run (or an evidence archive) from its frozen inputs and IR; compare the outputs",
		Long: `Re-evaluate a recorded run from what the database froze for it — the stored
IR and source map, the stored snapshot, the run's env, evaluation time and
shadow flag — and compare the findings and explain digests with the
original. Exit 0 when they are identical, 6 on any difference, showing the
first differing finding. The outcome is recorded as a policy.run.replayed
audit event; the run itself is not changed.

Given an evidence archive (policy export --run) instead, the replay needs
no database and opens none: the archive's IR is evaluated on its own
normalized inputs with the recorded env, time and shadow flag, and compared
with its recorded digests. With --key (or a trust config in force) the
archive is verified first, as policy verify does (exit 6 on failure);
without, it is only checked against its own manifest, and the output says
UNVERIFIED.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if evidence.IsArchive(args[0]) {
				return runEvidenceReplay(cmd.Context(), app, args[0], opts)
			}
			return runPolicyReplay(cmd.Context(), app, args[0])
		},
	}
	opts.evidence.register(cmd.Flags())
	return cmd
}

// replayReport is the output of `policy replay`.
type replayReport struct {
	RunID     string         `json:"runId"`
	Evidence  string         `json:"evidence,omitempty"` // the archive replayed, when not a stored run
	Verified  *bool          `json:"verified,omitempty"` // evidence only: checked against a trusted key`
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
			var bm *store.BlobMismatch
			if errors.As(err, &bm) && bm.Digest == r.IRDigest {
				return fail.Wrap(fail.Integrity, &governance.IRMismatch{PolicyID: r.PolicyID, Version: r.PolicyVersion, Want: bm.Digest, Got: bm.Got, Reason: governance.IRStored})
			}
			return err
		}
		if sourceMap, err = tx.RunSourceMap(ctx, r); err != nil {
			return err
		}
		out, err = tx.RunOutputs(ctx, r.RunID)
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
		_, err := tx.Append(ctx, governance.EventRunReplayed, "cli", r.RunID, payload)
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
	return out.Verify(r)
}

// runEvidenceReplay replays an evidence archive with no database.
func runEvidenceReplay(ctx context.Context, app *App, path string, opts *policyReplayOptions) error {
	a, verified, err := opts.evidence.open(ctx, app, path)
	if err != nil {
		return err
	}
	ev, err := a.Replay(ctx)
	if err != nil {
		return err
	}
	res, rec := ev.Result, a.Record
	rep := replayReport{
		RunID: a.RunID, Evidence: path, Verified: &verified,
		Original: replayDigests{Findings: rec.Stats.Findings, FindingsDigest: rec.Outputs.Findings, ExplainsDigest: rec.Outputs.Explains},
		Replay:   replayDigests{Findings: len(res.Findings), FindingsDigest: res.Digests.Findings, ExplainsDigest: res.Digests.Explains},
	}
	rep.Identical = rep.Original == rep.Replay
	if !rep.Identical {
		if rep.First, err = firstDifference(&store.RunOutput{Findings: a.Evidence.Findings, Explains: a.Evidence.Explains}, res); err != nil {
			return fail.New(fail.Integrity, "%s: findings.json: %v", path, err)
		}
	}
	app.Log.Info("policy replay", "evidence", path, "runId", rep.RunID, "identical", rep.Identical, "verified", verified,
		"findingsDigest", rep.Replay.FindingsDigest, "explainsDigest", rep.Replay.ExplainsDigest)
	if err := app.render(rep, func(w io.Writer) error { return app.replayTable(w, &rep) }); err != nil {
		return err
	}
	if !rep.Identical {
		app.infof("stella: replay of %s (%s) differs from the recorded run", rep.RunID, path)
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
	if rep.Evidence != "" {
		state := "UNVERIFIED (no trusted key given)"
		if rep.Verified != nil && *rep.Verified {
			state = "verified"
		}
		fmt.Fprintf(w, "evidence %s, %s, replayed with no database\n", rep.Evidence, state)
	}
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
