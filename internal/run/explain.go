package run

import (
	"context"
	"encoding/json"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Explanation is what `policy explain` shows of a run (docs/output.md "Explain traces"):
// the run, the feeds its inputs were frozen from, and the findings a filter
// selects, each with its explain trace. report renders it (ExplainPage).
type Explanation struct {
	RunID          string           `json:"runId"`
	PolicyID       string           `json:"policyId"`
	PolicyVersion  int              `json:"policyVersion,omitempty"`
	IRDigest       string           `json:"irDigest"`
	EvaluationTime string           `json:"evaluationTime"`
	Shadow         bool             `json:"shadow"`
	Verdict        string           `json:"verdict"`
	Feeds          []engine.FeedRef `json:"feeds,omitempty"` // the feeds the inputs were frozen from (docs/feeds.md)
	// Unchecked and UncheckedBudget are the record's stats.unchecked and
	// inputs.uncheckedBudget (docs/runs.md "What a record proves"); absent
	// from records made before they were recorded.
	Unchecked       *int                `json:"unchecked,omitempty"`
	UncheckedBudget *store.RecordBudget `json:"uncheckedBudget,omitempty"`
	Findings        []engine.Finding    `json:"findings"`
}

// coverage fills the record's unchecked count and budget in.
func (ex *Explanation) coverage(rec *store.RunRecord) {
	ex.Unchecked, ex.UncheckedBudget = rec.Stats.Unchecked, rec.Inputs.UncheckedBudget
}

// Explain reads the explanation of the stored run ref (an id, a prefix or
// latest): its findings matching filter, with their traces. A run that did
// not succeed has none to explain (fail.NotFound).
func Explain(ctx context.Context, st *store.Store, ref string, filter store.FindingFilter) (*Explanation, error) {
	var ex *Explanation
	err := st.View(ctx, func(tx *store.Tx) error {
		r, err := tx.RunRef(ctx, ref)
		if err != nil {
			return err
		}
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.NotFound, "run %s %s and has no findings to explain: %s", r.RunID, r.Status, r.Error)
		}
		ex = &Explanation{RunID: r.RunID, PolicyID: r.PolicyID, PolicyVersion: r.PolicyVersion, IRDigest: r.IRDigest,
			EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict, Feeds: RecordFeeds(r.Record)}
		var rec store.RunRecord
		if err := json.Unmarshal(r.Record, &rec); err != nil {
			return fail.New(fail.Integrity, "run %s: stored record does not decode: %v", r.RunID, err)
		}
		ex.coverage(&rec)
		ex.Findings, err = tx.Findings(ctx, r.RunID, filter, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if ex.Findings == nil {
		ex.Findings = []engine.Finding{}
	}
	return ex, ex.matched(filter)
}

// matched refuses a filter that selects no finding of the run (not found,
// naming the filter as policy explain takes it).
func (ex *Explanation) matched(f store.FindingFilter) error {
	if len(ex.Findings) > 0 || f == (store.FindingFilter{}) {
		return nil
	}
	by := "--vuln " + f.Vuln
	switch {
	case f.FindingID != "":
		by = "--finding " + f.FindingID
	case f.Purl != "":
		by = "--purl " + f.Purl
	}
	return fail.New(fail.NotFound, "run %s has no finding matching %s", ex.RunID, by)
}

// Explain reads the explanation of the archive's run from the archive
// alone: its recorded findings matching filter, with their traces.
func (a *Archive) Explain(filter store.FindingFilter) (*Explanation, error) {
	rec := a.Record
	ex := &Explanation{RunID: rec.RunID, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version, IRDigest: rec.Policy.IRDigest,
		EvaluationTime: rec.Inputs.EvaluationTime, Shadow: rec.Shadow, Verdict: rec.Verdict, Feeds: RecordFeeds(a.Evidence.Record)}
	ex.coverage(&rec)
	fs, err := a.Findings(filter)
	if err != nil {
		return nil, err
	}
	ex.Findings = fs
	return ex, ex.matched(filter)
}
