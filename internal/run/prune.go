package run

import (
	"context"
	"time"

	"github.com/stella-policy/stella/internal/store"
)

// Retention is what `store prune` keeps of the run history (docs/store.md):
// runs started within OlderThan of the store's clock, or at or after Before
// when it is set.
type Retention struct {
	OlderThan time.Duration
	Before    time.Time
	DryRun    bool // count what would be removed, change nothing
}

// Pruned is what Prune removed, or would remove with DryRun.
type Pruned store.PruneReport

// Prune removes the run history r does not keep: the runs, their findings,
// and the explain traces and blobs nothing refers to any more, in one
// transaction recorded as a store.pruned audit event. Snapshots, policy
// versions, keys and the audit log are not history and stay.
func Prune(ctx context.Context, st *store.Store, r Retention) (*Pruned, error) {
	cutoff := r.Before
	if cutoff.IsZero() {
		cutoff = st.Now().Add(-r.OlderThan)
	}
	rep, err := st.Prune(ctx, cutoff, r.DryRun)
	if err != nil {
		return nil, err
	}
	p := Pruned(rep)
	return &p, nil
}
