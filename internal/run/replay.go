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

// ReplayReport is the outcome of replaying a run (docs/runs.md "Replay"):
// the recorded and replayed digests and, when they differ, the first
// differing finding. It is the output of `policy replay`.
type ReplayReport struct {
	RunID     string         `json:"runId"`
	Evidence  string         `json:"evidence,omitempty"` // the archive replayed, when not a stored run
	Verified  *bool          `json:"verified,omitempty"` // evidence only: checked against a trusted key`
	Identical bool           `json:"identical"`
	Original  ReplayDigests  `json:"original"`
	Replay    ReplayDigests  `json:"replay"`
	First     *ReplayFinding `json:"firstDifference,omitempty"`
	// VerdictUnchecked says why the verdict was not compared (an evidence
	// archive of a record older than unchecked budgets, which does not
	// hold the budget the verdict depends on): Identical then covers
	// the findings and explains, not the verdict.
	VerdictUnchecked string `json:"verdictNotRechecked,omitempty"`
}

// ReplayDigests are the finding count, output digests and verdict of one
// side.
type ReplayDigests struct {
	Findings       int    `json:"findings"`
	FindingsDigest string `json:"findingsDigest"`
	ExplainsDigest string `json:"explainsDigest"`
	// Verdict is compared too — for an evidence archive of a
	// new_findings_only run as well, whose baseline only makes the gate
	// warn or block (docs/runs.md "Replay") — except for an evidence
	// archive recorded before unchecked budgets were: "" then.
	Verdict string `json:"verdict,omitempty"`
}

// ReplayFinding is the first finding, in finding id order, that differs.
type ReplayFinding struct {
	FindingID string          `json:"findingId"`
	Kind      string          `json:"kind"`             // changed, missing (only in the original), extra (only in the replay)
	Fields    []string        `json:"fields,omitempty"` // top-level fields that differ, sorted
	Original  json.RawMessage `json:"original,omitempty"`
	Replay    json.RawMessage `json:"replay,omitempty"`
}

// Replayed is a stored run replayed (Replay).
type Replayed struct {
	Run    *store.Run // the stored run; set even when Replay fails after reading it
	Report ReplayReport
	out    *store.RunOutput
}

// Verify re-checks the stored outputs against the run's recorded digests
// (store.RunOutput.Verify): replay compares first, then verifies, so a
// tampered finding is shown as the first difference.
func (r *Replayed) Verify() error { return r.out.Verify(r.Run) }

// Replay re-evaluates the stored run ref (an id, a unique prefix or
// latest) from what the store froze for it — the stored IR and source map
// (or the set's members), the stored snapshot, the recorded env,
// evaluation time, shadow flag and unchecked budget — and compares the
// outputs and the verdict with the recorded ones. The returned Replayed
// is non-nil once the run is read, even on error (a stored IR failing its digest is a *store.BlobMismatch
// for Run.IRDigest).
func Replay(ctx context.Context, st *store.Store, ref string) (*Replayed, error) {
	rp := &Replayed{}
	var irBytes, sourceMap []byte
	err := st.View(ctx, func(tx *store.Tx) error {
		r, err := tx.RunRef(ctx, ref)
		if err != nil {
			return err
		}
		rp.Run = r
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.Invalid, "run %s %s; only succeeded runs have outputs to replay", r.RunID, r.Status)
		}
		if irBytes, err = tx.RunIR(ctx, r); err != nil {
			return err
		}
		if sourceMap, err = tx.RunSourceMap(ctx, r); err != nil {
			return err
		}
		rp.out, err = tx.RunOutputs(ctx, r.RunID)
		return err
	})
	if err != nil {
		if rp.Run == nil {
			return nil, err
		}
		return rp, err
	}
	r := rp.Run
	var rec store.RunRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil {
		return rp, fail.New(fail.Integrity, "run %s: stored record does not decode: %v", r.RunID, err)
	}
	snapID := rec.Inputs.SnapshotID
	if snapID == "" {
		return rp, fail.New(fail.Invalid, "run %s was evaluated on loose input files, which were not kept; it cannot be replayed", r.RunID)
	}
	spec := Spec{Env: rec.Inputs.Env, Shadow: rec.Shadow}
	if rec.Set != nil {
		spec.Set, err = LoadSet(ctx, st, r.RunID, rec.Set)
	} else {
		if spec.Policy, err = DecodePolicy(r.RunID, irBytes, sourceMap); err == nil {
			spec.Policy.ID, spec.Policy.Version = rec.Policy.PolicyID, rec.Policy.Version
		}
	}
	if err != nil {
		return rp, err
	}
	var stored *engine.Result
	// A record made before budgets were recorded: its stored result's
	// gates say which budget applied (RecordedBudget). A policy with
	// settings new_findings_only compared with a baseline the record does
	// not keep: its stored gate says what it did not count as new
	// (recordedBaseline).
	nfo := spec.Policy != nil && newFindingsOnly(spec.Policy)
	if rec.Inputs.UncheckedBudget == nil && rec.Stats.Unchecked == nil || nfo {
		if err := st.View(ctx, func(tx *store.Tx) (err error) { stored, err = tx.Result(ctx, r); return err }); err != nil {
			return rp, err
		}
	}
	spec.UncheckedBudget = RecordedBudget(&rec, stored)
	if nfo {
		spec.Against = recordedBaseline(stored)
	}
	at, err := time.Parse(time.RFC3339Nano, rec.Inputs.EvaluationTime)
	if err != nil {
		return rp, fail.New(fail.Integrity, "run %s: stored evaluation time %q: %v", r.RunID, rec.Inputs.EvaluationTime, err)
	}
	snap, err := StoredSnapshot(ctx, st, snapID)
	if fail.Is(err, fail.NotFound) {
		return rp, fail.New(fail.NotFound, "run %s was evaluated on snapshot %s, which is not in this database; import it (stella snapshot import DIR) to replay", r.RunID, snapID)
	}
	if err != nil {
		return rp, err
	}
	spec.Snapshot, spec.At = snap, at
	ev, err := Evaluate(ctx, spec)
	if err != nil {
		return rp, err
	}
	rp.Report, err = Compare(r.RunID, ReplayDigests{Findings: r.Findings, FindingsDigest: r.FindingsDigest, ExplainsDigest: r.ExplainsDigest,
		Verdict: rec.Verdict}, rp.out.Findings, ev.Result)
	return rp, err
}

// Compare builds the report of a replay: the recorded side (its digests,
// its verdict unless "", and its findings, the canonical JSON array the
// findings digest covers) against the replayed result.
func Compare(runID string, recorded ReplayDigests, findings []byte, res *engine.Result) (ReplayReport, error) {
	rep := ReplayReport{
		RunID:    runID,
		Original: recorded,
		Replay:   ReplayDigests{Findings: len(res.Findings), FindingsDigest: res.Digests.Findings, ExplainsDigest: res.Digests.Explains},
	}
	if recorded.Verdict != "" {
		rep.Replay.Verdict = res.Verdict
	}
	rep.Identical = rep.Original == rep.Replay
	if !rep.Identical {
		var err error
		if rep.First, err = firstDifference(findings, res); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// firstDifference finds the first finding, in finding id order, whose
// canonical JSON (without trace) differs between the recorded findings and
// the replay.
func firstDifference(findings []byte, res *engine.Result) (*ReplayFinding, error) {
	var stored []json.RawMessage
	if err := json.Unmarshal(findings, &stored); err != nil {
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
