package run

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/lessons"
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
	// Lessons are what the lessons detector recorded after the run
	// (docs/lessons.md); LessonsErr why it recorded none (the run stays
	// recorded).
	Lessons    []store.Lesson
	LessonsErr error
	// UncheckedByEcosystem is the evaluation's count of unchecked
	// components per ecosystem (the record keeps only the total).
	UncheckedByEcosystem []engine.EcosystemCount
}

// Record records an evaluated outcome (a failed one as a failed run): the
// run record, the policy.run@1 statement over its findings and explains
// signed with key (nil: unsigned), the rows and the audit events, in one
// transaction (docs/runs.md, docs/attestation.md); then the lessons the run
// teaches (lessons.RecordRun).
func Record(ctx context.Context, st *store.Store, o *Outcome, key *attest.Key) (*Recorded, error) {
	return RecordGuarded(ctx, st, o, key, nil)
}

// RecordGuarded is Record with guard (nil: none) run first in the
// transaction that records the run (store.RecordRequest.Guard): an error
// refuses the run with nothing recorded. policy run checks the evaluation
// time there at a governed site (governance.RunTimeGuard), so two runs
// recorded at once cannot both pass it.
func RecordGuarded(ctx context.Context, st *store.Store, o *Outcome, key *attest.Key, guard func(*store.Tx) error) (*Recorded, error) {
	m, err := o.meta()
	if err != nil {
		return nil, err
	}
	if m.CompletedAt.IsZero() {
		m.CompletedAt = time.Now()
	}
	var rec *store.RunRecord
	if o.Result != nil {
		rec = NewRecord(st.Tenant(), m, o.Result)
	} else {
		rec = FailedRecord(st.Tenant(), m, o.Err)
	}
	out := &Recorded{Record: rec}
	if o.Result != nil {
		out.UncheckedByEcosystem = o.Result.Summary.UncheckedByEcosystem
	}
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
		Labels: o.Spec.Labels, Components: inv, SignHead: store.KeySigner(key), Guard: guard})
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
	out.Lessons, out.LessonsErr = lessons.RecordRun(ctx, st, rec.RunID, o.Spec.Actor)
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

// RunID builds the run id run:<policyId>:<evaluation time>:<key>
// (docs/runs.md "A run, end to end"). The key is 12 hex characters of the digest of everything that decides
// the outputs (IR digest, inputs, env, evaluation time, shadow, mode and the
// engine version), so running the same thing again gives the same id and is
// recorded once.
func RunID(m store.RunMeta, inputs string) string {
	key := struct {
		IR     string      `json:"ir"`
		Inputs string      `json:"inputs"`
		Env    []engine.KV `json:"env"`
		Time   string      `json:"evaluationTime"`
		Shadow bool        `json:"shadow"`
		Mode   string      `json:"mode"`
		Engine string      `json:"engine"`
		// Absent without --unchecked-budget, so such runs keep the ids
		// they had before the budget was part of the key.
		Budget *int `json:"uncheckedBudget,omitempty"`
	}{canon.Digest(m.IR), inputs, m.Env, m.EvaluationTime, m.Shadow, m.Mode, buildinfo.Version, m.UncheckedBudget}
	_, d, _ := canon.DigestOf(key)
	ts := "00010101T000000Z"
	if t, err := time.Parse(time.RFC3339Nano, m.EvaluationTime); err == nil {
		ts = t.UTC().Format("20060102T150405Z")
	}
	return "run:" + idPart(m.PolicyID) + ":" + ts + ":" + canon.Short(d, 12)
}

// idPart keeps a policy name usable inside a run id: anything but letters,
// digits, '.', '_' and '-' becomes '-'.
func idPart(s string) string {
	if s == "" {
		return "policy"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// NewRecord builds the record of a completed evaluation: the predicate of
// its policy.run@1 statement, stored by the store as it is.
func NewRecord(tenant string, m store.RunMeta, res *engine.Result) *store.RunRecord {
	inputsKey := m.SnapshotID
	if inputsKey == "" {
		inputsKey = res.Inputs.InputsHash
	}
	fired, unchecked := 0, res.Summary.Unchecked
	for _, r := range res.Summary.Rules {
		if r.Matched > 0 {
			fired++
		}
	}
	rec := &store.RunRecord{
		SchemaVersion: store.RecordSchema,
		RunID:         RunID(m, inputsKey),
		Tenant:        tenantOr(tenant),
		Mode:          m.Mode,
		Shadow:        m.Shadow,
		Policy: store.RecordPolicy{PolicyID: m.PolicyID, Version: m.PolicyVersion, IRDigest: canon.Digest(m.IR), Syntax: res.Policy.Syntax,
			Lifecycle: m.Lifecycle, ApprovalSet: m.ApprovalSet},
		Inputs:  store.RecordInputs{InputsRef: res.Inputs, Env: nonNilKV(m.Env), EvaluationTime: m.EvaluationTime},
		Status:  store.StatusSucceeded,
		Verdict: res.Verdict,
		Stats: store.RecordStats{
			Components:      res.Inputs.Counts.Components,
			Advisories:      res.Inputs.Counts.Advisories,
			Findings:        len(res.Findings),
			ByVerdict:       res.Summary.ByVerdict,
			RulesFired:      fired,
			RuleEvaluations: res.Summary.RuleEvaluations,
			Unknowns:        res.Summary.Unknowns,
			Unchecked:       &unchecked,
		},
		Outputs: store.RecordOutputs{Findings: res.Digests.Findings, Explains: res.Digests.Explains, Result: res.Digests.Result},
		Engine:  store.RecordEngine{Name: "stella", Version: buildinfo.Version},
		Set:     m.Set,
	}
	if m.SnapshotID != "" {
		rec.Inputs.SnapshotID = m.SnapshotID
	}
	rec.Inputs.UncheckedBudget = recordBudget(m, res)
	rec.Timing = timing(m)
	return rec
}

// recordBudget is the budget the unchecked-budget gate of res applied
// (the smallest, for a set) and its source: the request's when that is
// the one, else the policy's setting. nil when no budget gated.
func recordBudget(m store.RunMeta, res *engine.Result) *store.RecordBudget {
	var b *store.RecordBudget
	for _, g := range res.Gates {
		if g.Name == engine.GateUnchecked && (b == nil || g.Threshold < b.Budget) {
			b = &store.RecordBudget{Budget: g.Threshold, Source: store.BudgetPolicy}
		}
	}
	if b != nil && m.UncheckedBudget != nil && decimal.Int(int64(*m.UncheckedBudget)) == b.Budget {
		b.Source = cmp.Or(m.UncheckedSource, store.BudgetFlag)
	}
	return b
}

// RecordedBudget is the request budget that evaluates a recorded run
// again as it was (policy replay): the record's, unless it came from the
// policy (whose IR carries it); for a record made before budgets were
// recorded, the threshold of the unchecked-budget gate of its stored
// result, when a whole number (one that is not can only be the policy's).
func RecordedBudget(rec *store.RunRecord, res *engine.Result) *int {
	var limit *decimal.D
	if b := rec.Inputs.UncheckedBudget; b != nil {
		if b.Source != store.BudgetPolicy {
			limit = &b.Budget
		}
	} else if res != nil && rec.Stats.Unchecked == nil {
		for _, g := range res.Gates {
			if g.Name == engine.GateUnchecked && (limit == nil || g.Threshold < *limit) {
				limit = &g.Threshold
			}
		}
	}
	if limit == nil || *limit%decimal.One != 0 {
		return nil
	}
	n := int(*limit / decimal.One)
	return &n
}

// FailedRecord builds the record of an evaluation that failed with cause.
func FailedRecord(tenant string, m store.RunMeta, cause error) *store.RunRecord {
	rec := &store.RunRecord{
		SchemaVersion: store.RecordSchema,
		RunID:         RunID(m, m.SnapshotID),
		Tenant:        tenantOr(tenant),
		Mode:          m.Mode,
		Shadow:        m.Shadow,
		Policy: store.RecordPolicy{PolicyID: m.PolicyID, Version: m.PolicyVersion, IRDigest: canon.Digest(m.IR), Syntax: ir.Syntax,
			Lifecycle: m.Lifecycle, ApprovalSet: m.ApprovalSet},
		Inputs: store.RecordInputs{InputsRef: engine.InputsRef{SnapshotID: m.SnapshotID, SBOMs: []engine.SBOMRef{}}, Env: nonNilKV(m.Env), EvaluationTime: m.EvaluationTime},
		Status: store.StatusFailed,
		Engine: store.RecordEngine{Name: "stella", Version: buildinfo.Version},
		Error:  cause.Error(),
		Set:    m.Set,
	}
	rec.Timing = timing(m)
	return rec
}

func timing(m store.RunMeta) *store.RecordTiming {
	if !m.WithTiming {
		return nil
	}
	return &store.RecordTiming{StartedAt: rfc3339(m.StartedAt), CompletedAt: rfc3339(m.CompletedAt), DurationMS: m.CompletedAt.Sub(m.StartedAt).Milliseconds()}
}

func nonNilKV(kv []engine.KV) []engine.KV {
	if kv == nil {
		return []engine.KV{}
	}
	return kv
}

func tenantOr(t string) string {
	if t == "" {
		return store.DefaultTenant
	}
	return t
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
