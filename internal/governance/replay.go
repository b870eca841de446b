package governance

import (
	"context"
	"errors"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// Replay replays the stored run ref (run.Replay) and records the outcome
// as the policy.run.replayed audit event the determinism acknowledgement
// of an approval rests on (docs/governance.md, "Lifecycle"; docs/runs.md
// "Replay"). A stored IR that fails its digest is an IRMismatch.
func Replay(ctx context.Context, st *store.Store, ref string) (*run.Replayed, error) {
	rp, err := run.Replay(ctx, st, ref)
	if err != nil {
		var bm *store.BlobMismatch
		if rp != nil && errors.As(err, &bm) && bm.Digest == rp.Run.IRDigest {
			return nil, fail.Wrap(fail.Integrity, &IRMismatch{PolicyID: rp.Run.PolicyID, Version: rp.Run.PolicyVersion, Want: bm.Digest, Got: bm.Got, Reason: IRStored})
		}
		return nil, err
	}
	rep := &rp.Report
	err = st.Update(ctx, func(tx *store.Tx) error {
		payload := map[string]any{"runId": rep.RunID, "identical": rep.Identical,
			"findingsDigest": rep.Replay.FindingsDigest, "explainsDigest": rep.Replay.ExplainsDigest}
		if rep.First != nil {
			payload["firstDifference"] = rep.First.FindingID
		}
		_, err := tx.Append(ctx, EventRunReplayed, "cli", rep.RunID, payload)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rp, nil
}
