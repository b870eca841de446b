package governance

import (
	"context"
	"errors"
	"fmt"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// GatePolicy applies the site's governance to the policy a run evaluates
// (docs/governance.md): under trust (nil: no trust config) a version that
// is not approved or active here is refused unless shadow (GateRun). It
// returns the lifecycle state and approval-set digest the run records;
// without a trust config, the stored state of a registered version (its
// row checked, CheckLifecycle) and no approval set.
func GatePolicy(ctx context.Context, st *store.Store, trust *Trust, p *run.Policy, shadow bool) (state, approvalSet string, err error) {
	if trust == nil {
		if p.Version == 0 {
			return "", "", nil
		}
		err := st.View(ctx, func(tx *store.Tx) error {
			l, err := tx.LifecycleOf(ctx, p.ID, p.Version)
			if err == nil {
				err = CheckLifecycle(ctx, tx, l)
			}
			state = l.State
			return err
		})
		return state, "", err
	}
	reg := &Registry{Store: st, Trust: trust, Settings: trust.Settings}
	var g *RunGate
	err = st.View(ctx, func(tx *store.Tx) error {
		var pv *store.PolicyVersion
		if p.Version > 0 {
			v, err := tx.PolicyVersion(ctx, p.ID, p.Version)
			if err != nil {
				return err
			}
			pv = &v
		}
		g, err = reg.GateRun(ctx, tx, pv, p.Digest, shadow)
		return err
	})
	if err != nil {
		return "", "", err
	}
	return g.State, g.ApprovalSet, nil
}

// ExpectIRDigest refuses (integrity, exit 6) a policy whose IR digest is
// not want (--expect-ir-digest: pin the IR an approval covered); ""
// checks nothing.
func ExpectIRDigest(p *run.Policy, want string) error {
	return expectIR(p.ID, p.Version, p.Digest, want)
}

// expectIR refuses the IR digest got of policy id's version when it is not
// want (ExpectIRDigest; a bundle's version before it is imported, Site.Run).
func expectIR(id string, version int, got, want string) error {
	if want == "" || got == want {
		return nil
	}
	return fail.Wrap(fail.Integrity, &IRMismatch{PolicyID: id, Version: version, Want: want, Got: got, Reason: IRExpected})
}

// StoredIRMismatch turns err, from loading policy ref (run.LoadPolicy with
// dflt), into the IRMismatch it is when a stored blob failed its digest
// and that blob is the IR of ref; any other error is returned as it is.
func StoredIRMismatch(ctx context.Context, st *store.Store, err error, ref, dflt string) error {
	var bm *store.BlobMismatch
	if !errors.As(err, &bm) || !run.IsRegistered(ref) {
		return err
	}
	sel, ok, perr := store.ParsePolicySel(ref)
	if perr != nil || !ok {
		return err
	}
	var pv store.PolicyVersion
	if st.View(ctx, func(tx *store.Tx) error {
		var err error
		pv, err = tx.SelectVersion(ctx, sel, dflt)
		return err
	}) != nil || pv.IRDigest != bm.Digest {
		return err
	}
	return fail.Wrap(fail.Integrity, &IRMismatch{PolicyID: pv.PolicyID, Version: pv.Version, Want: bm.Digest, Got: bm.Got, Reason: IRStored})
}

// GateSet applies the site's governance to each member of a recorded set
// run (docs/governance.md "Recording a set") and sets the lifecycle state
// and approval set each records: under a trust config every member must be
// approved or active here, unless the run is a shadow run or the member
// only audits (audit, disabled: it never enforces).
func GateSet(ctx context.Context, st *store.Store, trust *Trust, ms []run.Member, shadow bool) error {
	for i := range ms {
		m := &ms[i]
		mode, err := ir.PolicyEnforcement(m.Policy.Policy)
		if err != nil {
			return fail.New(fail.Invalid, "%s: %v", m.Ref, err)
		}
		audits := shadow || mode == ir.EnforceAudit || mode == ir.EnforceDisabled
		if m.Lifecycle, m.ApprovalSet, err = GatePolicy(ctx, st, trust, m.Policy, audits); err != nil {
			return fmt.Errorf("set member %s: %w", m.Ref, err)
		}
	}
	return nil
}
