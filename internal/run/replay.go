package run

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Replayed is a stored run evaluated again and compared with what it
// recorded: the output of `policy replay` (docs/runs.md "Replay").
type Replayed struct {
	RunID     string         `json:"runId"`
	Identical bool           `json:"identical"`
	Original  ReplayDigests  `json:"original"`
	Replay    ReplayDigests  `json:"replay"`
	First     *ReplayFinding `json:"firstDifference,omitempty"`
}

// ReplayDigests are the outputs a replay compares.
type ReplayDigests struct {
	Findings       int    `json:"findings"`
	FindingsDigest string `json:"findingsDigest"`
	ExplainsDigest string `json:"explainsDigest"`
}

// ReplayFinding is the first finding, in finding id order, that differs.
type ReplayFinding struct {
	FindingID string          `json:"findingId"`
	Kind      string          `json:"kind"`             // changed, missing (only in the original), extra (only in the replay)
	Fields    []string        `json:"fields,omitempty"` // top-level fields that differ, sorted
	Original  json.RawMessage `json:"original,omitempty"`
	Replay    json.RawMessage `json:"replay,omitempty"`
}

// Replay re-evaluates the stored run ref names (an id, a prefix or
// "latest") from what the database froze for it — its IR and source map
// (or its set's members), its snapshot, env, evaluation time and shadow
// flag — compares the outputs with the recorded ones, and records the
// outcome as a policy.run.replayed audit event by actor; the run itself is
// not changed (docs/runs.md "Replay"). Comparing the replay's digests with
// the recorded ones is the re-check of the stored outputs: rows edited after
// recording show as the first difference.
func Replay(ctx context.Context, st *store.Store, runID, actor string) (*Replayed, error) {
	var r *store.Run
	var out *store.RunOutput
	var irBytes, sourceMap []byte
	err := st.View(ctx, func(tx *store.Tx) error {
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
		out, err = tx.RunOutputs(ctx, r.RunID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var rec store.RunRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil {
		return nil, fail.New(fail.Integrity, "run %s: stored record does not decode: %v", r.RunID, err)
	}
	snapID := rec.Inputs.SnapshotID
	if snapID == "" {
		return nil, fail.New(fail.Invalid, "run %s was evaluated on loose input files, which were not kept; it cannot be replayed", r.RunID)
	}
	spec := Spec{Env: rec.Inputs.Env, Shadow: rec.Shadow}
	if rec.Set != nil {
		spec.Set, err = LoadSet(ctx, st, r.RunID, rec.Set)
	} else {
		spec.Policy, err = DecodePolicy(r.RunID, irBytes, sourceMap)
	}
	if err != nil {
		return nil, err
	}
	at, err := time.Parse(time.RFC3339Nano, rec.Inputs.EvaluationTime)
	if err != nil {
		return nil, fail.New(fail.Integrity, "run %s: stored evaluation time %q: %v", r.RunID, rec.Inputs.EvaluationTime, err)
	}
	snap, err := StoredSnapshot(ctx, st, snapID)
	if fail.Is(err, fail.NotFound) {
		return nil, fail.New(fail.NotFound, "run %s was evaluated on snapshot %s, which is not in this database; import it (stella snapshot import DIR) to replay", r.RunID, snapID)
	}
	if err != nil {
		return nil, err
	}
	spec.Snapshot, spec.At = snap, at
	ev, err := Evaluate(ctx, spec)
	if err != nil {
		return nil, err
	}
	res := ev.Result
	rep := &Replayed{
		RunID:    r.RunID,
		Original: ReplayDigests{Findings: r.Findings, FindingsDigest: r.FindingsDigest, ExplainsDigest: r.ExplainsDigest},
		Replay:   ReplayDigests{Findings: len(res.Findings), FindingsDigest: res.Digests.Findings, ExplainsDigest: res.Digests.Explains},
	}
	rep.Identical = rep.Original == rep.Replay
	if !rep.Identical {
		if rep.First, err = firstDifference(out, res); err != nil {
			return nil, err
		}
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		payload := map[string]any{"runId": r.RunID, "identical": rep.Identical,
			"findingsDigest": rep.Replay.FindingsDigest, "explainsDigest": rep.Replay.ExplainsDigest}
		if rep.First != nil {
			payload["firstDifference"] = rep.First.FindingID
		}
		_, err := tx.Append(ctx, "policy.run.replayed", actor, r.RunID, payload)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// firstDifference finds the first finding, in finding id order, whose
// canonical JSON (without trace) or explain trace differs between the
// stored outputs and the replay.
func firstDifference(out *store.RunOutput, res *engine.Result) (*ReplayFinding, error) {
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
			return &ReplayFinding{FindingID: id, Kind: "missing", Original: o}, nil
		case !inOrig:
			return &ReplayFinding{FindingID: id, Kind: "extra", Replay: n}, nil
		case !bytes.Equal(o, n):
			return &ReplayFinding{FindingID: id, Kind: "changed", Fields: diffFields(o, n), Original: o, Replay: n}, nil
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
