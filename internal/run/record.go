package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/store"
)

// Recorded is what Record stored.
type Recorded struct {
	Run      *store.Run
	Record   *store.RunRecord
	Envelope []byte // the stored DSSE envelope; nil when the run is unsigned
	Existing bool   // the same run was already recorded
	// Warnings are for the user: an earlier recording's attestation kept.
	Warnings []string
}

// Record records an evaluated outcome (a failed one as a failed run): the
// run record, the policy.run@1 statement over its findings and explains
// signed with key (nil: unsigned), the rows and the audit events, in one
// transaction (docs/runs.md, docs/attestation.md).
func Record(ctx context.Context, st *store.Store, o *Outcome, key *attest.Key) (*Recorded, error) {
	m, err := o.meta()
	if err != nil {
		return nil, err
	}
	if m.CompletedAt.IsZero() {
		m.CompletedAt = time.Now()
	}
	var rec *store.RunRecord
	if o.Result != nil {
		rec = store.NewRecord(st.Tenant(), m, o.Result)
	} else {
		rec = store.FailedRecord(st.Tenant(), m, o.Err)
	}
	out := &Recorded{Record: rec}
	if key != nil && o.Result != nil {
		payload, err := statement(rec, o.Result)
		if err != nil {
			return nil, err
		}
		env, err := attest.Sign(ctx, attest.PayloadType, payload, key)
		if err != nil {
			return nil, err
		}
		if out.Envelope, err = attest.MarshalEnvelope(env); err != nil {
			return nil, err
		}
	}
	inv, err := json.Marshal(delta.Inventory(o.Snapshot.Inputs))
	if err != nil {
		return nil, err
	}
	run, existing, err := st.RecordRun(ctx, store.RecordRequest{Meta: m, Record: rec, Result: o.Result, Attestation: out.Envelope,
		Labels: o.Spec.Labels, Components: inv})
	if err != nil {
		return nil, err
	}
	out.Run, out.Existing = run, existing
	if existing {
		// The run was recorded before: its stored envelope (or its absence)
		// is what attests the stored rows.
		if out.Envelope != nil && !bytes.Equal(out.Envelope, run.Attestation) {
			if kept := signers(run.Attestation); kept == nil {
				out.Warnings = append(out.Warnings, fmt.Sprintf("run %s was recorded before, unsigned and with another record (--timestamps?); it stays unsigned", rec.RunID))
			} else if !slices.Contains(kept, key.ID) {
				out.Warnings = append(out.Warnings, fmt.Sprintf("run %s was recorded before and signed by %s; that attestation is kept, not one by %s",
					rec.RunID, strings.Join(kept, ", "), key.ID))
			}
		}
		out.Envelope = run.Attestation
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

// statement builds the canonical policy.run@1 statement of a run: the
// record as predicate, the findings and explains as subjects.
func statement(rec *store.RunRecord, res *engine.Result) ([]byte, error) {
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
