package run

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Summary is what `policy run` reports of the run it recorded
// (docs/runs.md "A run, end to end"); its JSON form is the command's.
type Summary struct {
	RunID          string               `json:"runId"`
	Existing       bool                 `json:"alreadyRecorded"`
	PolicyID       string               `json:"policyId"`
	PolicyVersion  int                  `json:"policyVersion,omitempty"`
	IRDigest       string               `json:"irDigest"`
	SnapshotID     string               `json:"snapshotId"`
	EvaluationTime string               `json:"evaluationTime"`
	Shadow         bool                 `json:"shadow"`
	Verdict        string               `json:"verdict"`
	Findings       int                  `json:"findings"`
	ByVerdict      engine.VerdictCounts `json:"byVerdict"`
	FindingsDigest string               `json:"findingsDigest"`
	ExplainsDigest string               `json:"explainsDigest"`
	// Unchecked counts the components no advisory input could check
	// (docs/output.md "Coverage"; nil for a run recorded before it was),
	// UncheckedByEcosystem names their ecosystems (known only when this
	// invocation evaluated it), and UncheckedBudget is the gate on them
	// with its source (docs/runs.md "What a record proves").
	Unchecked            *int                    `json:"unchecked,omitempty"`
	UncheckedByEcosystem []engine.EcosystemCount `json:"uncheckedByEcosystem,omitempty"`
	UncheckedBudget      *store.RecordBudget     `json:"uncheckedBudget,omitempty"`
	Signed               bool                    `json:"signed"`
	Signer               string                  `json:"signer,omitempty"`
	Set                  *store.RecordSet        `json:"set,omitempty"` // the members of a set run
}

// Summary summarizes what Record stored.
func (r *Recorded) Summary() Summary {
	rec := r.Record
	s := Summary{RunID: rec.RunID, Existing: r.Existing, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version,
		IRDigest: rec.Policy.IRDigest, SnapshotID: rec.Inputs.SnapshotID, EvaluationTime: rec.Inputs.EvaluationTime,
		Shadow: rec.Shadow, Verdict: rec.Verdict, Findings: rec.Stats.Findings, ByVerdict: rec.Stats.ByVerdict,
		FindingsDigest: rec.Outputs.Findings, ExplainsDigest: rec.Outputs.Explains, Signed: r.Envelope != nil, Set: rec.Set,
		Unchecked: rec.Stats.Unchecked, UncheckedByEcosystem: r.UncheckedByEcosystem, UncheckedBudget: rec.Inputs.UncheckedBudget}
	if r.Envelope != nil {
		if env, err := attest.ParseEnvelope("envelope", r.Envelope); err == nil && len(env.Signatures) > 0 {
			s.Signer = env.Signatures[0].KeyID
		}
	}
	return s
}

// History is the tenant's recorded runs, newest first (`policy history`,
// docs/runs.md "History").
type History []*store.Run

// HistoryQuery is the query of `policy history` (docs/runs.md "History"):
// f with --since read as an RFC 3339 time (kept in UTC) and --limit a
// number of runs, 0 for all.
func HistoryQuery(f store.RunFilter) (store.RunFilter, error) {
	if f.Limit < 0 {
		return f, fail.New(fail.Invalid, "--limit %d: want a number of runs, or 0 for all", f.Limit)
	}
	if f.Since != "" {
		t, err := time.Parse(time.RFC3339, f.Since)
		if err != nil {
			return f, fail.New(fail.Invalid, "--since %q: want an RFC 3339 time like 2025-01-31T00:00:00Z", f.Since)
		}
		f.Since = t.UTC().Format(time.RFC3339)
	}
	return f, nil
}

// ListRuns lists the recorded runs f selects; never nil.
func ListRuns(ctx context.Context, st *store.Store, f store.RunFilter) (History, error) {
	return list(ctx, st, func(tx *store.Tx) ([]*store.Run, error) { return tx.Runs(ctx, f) })
}

// list runs a read-only query of a list, never nil.
func list[T any](ctx context.Context, st *store.Store, query func(tx *store.Tx) ([]T, error)) ([]T, error) {
	var l []T
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = query(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = []T{}
	}
	return l, nil
}

// Stored is one recorded run with its decoded record (`policy runs show`).
type Stored struct {
	Run    *store.Run
	Record store.RunRecord
}

// Show reads the recorded run ref (an id, a unique prefix or latest).
func Show(ctx context.Context, st *store.Store, ref string) (*Stored, error) {
	var r *store.Run
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.RunRef(ctx, ref)
		return err
	}); err != nil {
		return nil, err
	}
	s := &Stored{Run: r}
	if err := json.Unmarshal(r.Record, &s.Record); err != nil {
		return nil, err
	}
	return s, nil
}

// Violations are the blocked and warned findings across recorded runs,
// one per finding identity (`policy violations`, docs/runs.md
// "Violations and state").
type Violations []store.Violation

// ListViolations lists the violations r selects (Query, since reading
// --since); never nil.
func ListViolations(ctx context.Context, st *store.Store, r ViolationRequest, since func(string) (string, error)) (Violations, error) {
	q, err := r.Query(since)
	if err != nil {
		return nil, err
	}
	return list(ctx, st, func(tx *store.Tx) ([]store.Violation, error) { return tx.Violations(ctx, q) })
}

// RecordFeeds reads the feed provenance of a run record (inputs.feeds);
// nil when it has none or does not decode.
func RecordFeeds(record []byte) []engine.FeedRef {
	var rec struct {
		Inputs struct {
			Feeds []engine.FeedRef `json:"feeds"`
		} `json:"inputs"`
	}
	if json.Unmarshal(record, &rec) != nil {
		return nil
	}
	return rec.Inputs.Feeds
}
