package run

import (
	"context"

	"github.com/stella-policy/stella/internal/store"
)

// EventInputsUnfrozen is the audit event of a run refused for loose inputs
// (docs/runs.md); policy_inputs_unfrozen_total counts them.
const EventInputsUnfrozen = "policy.inputs_unfrozen"

// DurationBuckets are the upper bounds, in seconds, of the run duration
// histogram.
var DurationBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Metrics are the counters and the histogram `policy metrics` computes
// from the tenant's recorded history (docs/runs.md "Metrics").
type Metrics struct {
	Tenant     string
	Runs       int
	ByStatus   map[string]int // runs by status; succeeded and failed always present
	Buckets    []int          // runs at most as long as each of DurationBuckets
	SumSeconds float64        // of every run's duration
	Unfrozen   int            // runs refused for loose inputs
	Shadow     int            // shadow runs
	ByVerdict  map[string]int // findings of succeeded runs by verdict
}

// ReadMetrics computes the metrics of the store's tenant.
func ReadMetrics(ctx context.Context, st *store.Store) (*Metrics, error) {
	m := &Metrics{Tenant: st.Tenant(), ByStatus: map[string]int{store.StatusSucceeded: 0, store.StatusFailed: 0},
		Buckets: make([]int, len(DurationBuckets)), ByVerdict: map[string]int{}}
	err := st.View(ctx, func(tx *store.Tx) error {
		runs, err := tx.Runs(ctx, store.RunFilter{})
		if err != nil {
			return err
		}
		m.Runs = len(runs)
		ev, err := tx.Events(ctx, store.EventFilter{Type: EventInputsUnfrozen})
		if err != nil {
			return err
		}
		m.Unfrozen = len(ev)
		for _, r := range runs {
			m.ByStatus[r.Status]++
			if r.Shadow {
				m.Shadow++
			}
			secs := float64(r.DurationMS) / 1000
			m.SumSeconds += secs
			for i, b := range DurationBuckets {
				if secs <= b {
					m.Buckets[i]++
				}
			}
		}
		v, err := tx.VerdictTotals(ctx)
		if err != nil {
			return err
		}
		m.ByVerdict["passed"], m.ByVerdict["warned"], m.ByVerdict["blocked"] = v.Passed, v.Warned, v.Blocked
		m.ByVerdict["quieted"], m.ByVerdict["ignored"] = v.Quieted, v.Ignored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
