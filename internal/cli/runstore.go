package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/store"
)

// Recording runs: what `policy run` (and `policy simulate --record`) do
// with a result — build the run record, sign the policy.run@1 statement,
// store everything in one transaction and write the envelope.

// eventInputsUnfrozen is the audit event of a run refused for loose inputs
// (seed 002 §6); policy_inputs_unfrozen_total counts them.
const eventInputsUnfrozen = "policy.inputs_unfrozen"

// recordOptions is what a command knows besides the result.
type recordOptions struct {
	Meta        store.RunMeta
	Result      *engine.Result // nil when the evaluation failed
	EvalErr     error          // why it failed
	SignKey     *attest.Key    // nil: the run is stored unsigned
	Attestation string         // also write the envelope to this file
	Labels      []string       // --label values
	Components  []byte         // the component inventory (baseline.go)
}

// recorded is what recordRun stored.
type recorded struct {
	Run      *store.Run
	Record   *store.RunRecord
	Envelope []byte // nil when unsigned
	Existing bool   // the same run was already recorded
}

// recordRun records a run: the record, the signed statement over its
// findings and explains, the rows and the audit events, in one
// transaction; then the envelope file, written atomically.
func (a *App) recordRun(ctx context.Context, st *store.Store, o recordOptions) (*recorded, error) {
	if o.Meta.CompletedAt.IsZero() {
		o.Meta.CompletedAt = time.Now()
	}
	var rec *store.RunRecord
	if o.Result != nil {
		rec = store.NewRecord(st.Tenant(), o.Meta, o.Result)
	} else {
		rec = store.FailedRecord(st.Tenant(), o.Meta, o.EvalErr)
	}
	out := &recorded{Record: rec}
	if o.SignKey != nil && o.Result != nil {
		payload, err := runStatement(rec, o.Result)
		if err != nil {
			return nil, err
		}
		env, err := attest.Sign(ctx, attest.PayloadType, payload, o.SignKey)
		if err != nil {
			return nil, err
		}
		if out.Envelope, err = attest.MarshalEnvelope(env); err != nil {
			return nil, err
		}
	}
	run, existing, err := st.RecordRun(ctx, store.RecordRequest{Meta: o.Meta, Record: rec, Result: o.Result, Attestation: out.Envelope,
		Labels: o.Labels, Components: o.Components})
	if err != nil {
		return nil, err
	}
	out.Run, out.Existing = run, existing
	if existing {
		// The run was recorded before: its stored envelope (or its absence)
		// is what attests the stored rows.
		if out.Envelope != nil && !bytes.Equal(out.Envelope, run.Attestation) {
			if kept := signers(run.Attestation); kept == nil {
				a.infof("stella: warning: run %s was recorded before, unsigned and with another record (--timestamps?); it stays unsigned", rec.RunID)
			} else if !slices.Contains(kept, o.SignKey.ID) {
				a.infof("stella: warning: run %s was recorded before and signed by %s; that attestation is kept, not one by %s",
					rec.RunID, strings.Join(kept, ", "), o.SignKey.ID)
			}
		}
		out.Envelope = run.Attestation
	}
	if o.Attestation != "" && out.Envelope != nil {
		if err := writeFileAtomic(o.Attestation, out.Envelope, 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// signers returns the key ids that signed a stored envelope, nil when
// there is none.
func signers(envelope []byte) []string {
	if envelope == nil {
		return nil
	}
	env, err := attest.ParseEnvelope("stored attestation", envelope)
	if err != nil {
		return []string{"an unreadable envelope"}
	}
	ids := make([]string, len(env.Signatures))
	for i, sig := range env.Signatures {
		ids[i] = sig.KeyID
	}
	return ids
}

// runStatement builds the canonical policy.run@1 statement of a run.
func runStatement(rec *store.RunRecord, res *engine.Result) ([]byte, error) {
	recJSON, err := canon.Marshal(rec)
	if err != nil {
		return nil, err
	}
	fs := make([]attest.RunFinding, len(res.Findings))
	for i, f := range res.Findings {
		f.Explain = nil
		b, err := canon.Marshal(f)
		if err != nil {
			return nil, err
		}
		fs[i] = attest.RunFinding{ID: f.FindingID, Digest: canon.Digest(b), ExplainID: f.ExplainID}
	}
	return attest.RunStatement(json.RawMessage(recJSON), attest.RunSubjects(rec.Outputs.Findings, rec.Outputs.Explains, fs))
}
