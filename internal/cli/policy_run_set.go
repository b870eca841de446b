package cli

import (
	"context"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// checkSet refuses what --set does not combine with.
func (o *policyRunOptions) checkSet(policyRef string) error {
	switch {
	case o.set == "":
		return nil
	case policyRef != "":
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case o.bundle.path != "":
		return fail.New(fail.Invalid, "--set does not apply to --bundle: a bundle runs one policy version")
	case o.expectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	return nil
}

// runSetPolicies loads the members of `policy run --set` (a bare P-n: its
// active version) and applies the site's governance to each
// (governance.GateSet).
func (a *App) runSetPolicies(ctx context.Context, st *store.Store, act *governance.RunActor, opts *policyRunOptions) ([]run.Member, error) {
	refs, active, err := governance.ParseSet(opts.set)
	if err != nil {
		return nil, err
	}
	ms, err := a.setPolicies(ctx, st, refs, active, store.PickActive)
	if err != nil {
		return nil, err
	}
	if err := governance.GateSet(ctx, st, act.Trust, ms, opts.shadow); err != nil {
		return nil, err
	}
	return ms, nil
}
