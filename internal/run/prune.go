package run

import (
	"cmp"
	"context"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Retention is what `store prune` keeps of the run history (docs/store.md):
// runs started within OlderThan of the store's clock, or at or after Before
// when it is set.
type Retention struct {
	OlderThan time.Duration
	Before    time.Time
	DryRun    bool // count what would be removed, change nothing
}

// PruneRequest is `store prune` as the command line gives it: --older-than
// an age (text.ParseAge; "" for 365 days, the default of config
// store.retention), or --before an RFC 3339 time, and --dry-run.
type PruneRequest struct {
	OlderThan, Before string
	DryRun            bool
}

// Retention parses the request.
func (p PruneRequest) Retention() (Retention, error) {
	d, err := text.ParseAge(cmp.Or(p.OlderThan, "365d"))
	if err != nil {
		return Retention{}, fail.New(fail.Invalid, "--older-than %v", err)
	}
	r := Retention{OlderThan: d, DryRun: p.DryRun}
	if p.Before != "" {
		if r.Before, err = time.Parse(time.RFC3339, p.Before); err != nil {
			return r, fail.New(fail.Invalid, "--before %q: want an RFC 3339 time like 2026-03-01T00:00:00Z", p.Before)
		}
	}
	return r, nil
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
