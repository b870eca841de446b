package cli

import (
	"context"
	"errors"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// Who may record a run. Without a trust config (single-user local use)
// anyone may; when one is in force, `policy run` is an action of the key
// that signs it, which must hold policy:run, and `policy simulate --record`
// one that holds policy:simulate (docs/governance.md).

// trustInForce returns the trust config that governs this invocation: the
// file --trust names (which must exist), else the first one the governance
// commands would find; nil when there is none.
func (a *App) trustInForce(flag string) (*governance.Trust, error) {
	path := a.trustFile(flag)
	t, err := governance.LoadTrust(path)
	if flag == "" && fail.Is(err, fail.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := a.applySettings(&t.Settings); err != nil {
		return nil, err
	}
	return t, a.checkTrust(t)
}

// runActor is the key a run is signed with and the principal it is
// recorded for.
type runActor struct {
	Key       *attest.Key       // nil: the run is recorded unsigned
	Principal string            // the audit log's actor: "cli" without a trust config
	Trust     *governance.Trust // the trust config in force, nil for none
}

// authorizeRun resolves the signing key of a command that records a run
// (signingKey) and, when a trust config is in force, refuses with exit 3
// unless that key is trusted and holds scope.
func (a *App) authorizeRun(trustFlag string, sign *signFlags, scope string) (*runActor, error) {
	trust, err := a.trustInForce(trustFlag)
	if err != nil {
		return nil, err
	}
	act := &runActor{Principal: "cli"}
	if act.Key, err = a.signingKey(sign); err != nil {
		return nil, err
	}
	if trust == nil {
		return act, nil
	}
	act.Trust = trust
	reg := &governance.Registry{Trust: trust, Settings: trust.Settings}
	who, err := reg.Authorize(act.Key, scope, "give --sign-key K (a private key file, or the name of a generated key) whose key holds "+scope)
	if err != nil {
		return nil, err
	}
	act.Principal = who.Entry.Principal
	return act, nil
}

// gateRun applies the governance of the site to the version a run
// evaluates (governance.GateRun): under a trust config a version that is
// not approved or active here is refused unless shadow. It returns the
// lifecycle state and approval-set digest the run records; without a trust
// config, the stored state of a registered version and no approval set.
func (a *App) gateRun(ctx context.Context, st *store.Store, act *runActor, pol *run.Policy, shadow bool) (state, approvalSet string, err error) {
	if act.Trust == nil {
		if pol.Version == 0 {
			return "", "", nil
		}
		err := st.View(ctx, func(tx *store.Tx) error {
			l, err := tx.LifecycleOf(ctx, pol.ID, pol.Version)
			if err == nil {
				err = governance.CheckLifecycle(ctx, tx, l)
			}
			state = l.State
			return err
		})
		return state, "", err
	}
	reg := &governance.Registry{Store: st, Trust: act.Trust, Settings: act.Trust.Settings}
	var g *governance.RunGate
	err = st.View(ctx, func(tx *store.Tx) error {
		var pv *store.PolicyVersion
		if pol.Version > 0 {
			v, err := tx.PolicyVersion(ctx, pol.ID, pol.Version)
			if err != nil {
				return err
			}
			pv = &v
		}
		g, err = reg.GateRun(ctx, tx, pv, pol.Digest, shadow)
		return err
	})
	if err != nil {
		return "", "", err
	}
	return g.State, g.ApprovalSet, nil
}

// expectIRDigest refuses (integrity, exit 6) a policy whose IR digest is not
// want (--expect-ir-digest: pin the IR an approval covered); "" checks
// nothing.
func expectIRDigest(p *run.Policy, want string) error {
	if want == "" || p.Digest == want {
		return nil
	}
	return fail.Wrap(fail.Integrity, &governance.IRMismatch{PolicyID: p.ID, Version: p.Version, Want: want, Got: p.Digest, Reason: governance.IRExpected})
}

// storedIRMismatch turns a stored blob that fails its digest into the IR
// mismatch it is when the blob is the IR of policy ref (dflt as for
// run.LoadPolicy); any other error is returned as it is.
func storedIRMismatch(ctx context.Context, st *store.Store, err error, ref, dflt string) error {
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
	return fail.Wrap(fail.Integrity, &governance.IRMismatch{PolicyID: pv.PolicyID, Version: pv.Version, Want: bm.Digest, Got: bm.Got, Reason: governance.IRStored})
}

// auditIRMismatch records the policy.ir_hash_mismatch audit event when a
// command failed on an IR that fails its digest (docs/governance.md, "IR
// digests"); best effort, after the command's own transaction rolled back.
func (a *App) auditIRMismatch(err error) {
	var m *governance.IRMismatch
	if !errors.As(err, &m) || a.Global.DB == "" || !fileExists(a.Global.DB) {
		return
	}
	ctx := context.Background()
	st, err := a.openStore(ctx, true)
	if err != nil {
		return
	}
	defer st.Close()
	if err := governance.RecordIRMismatch(ctx, st, "cli", m); err != nil {
		a.infof("stella: warning: could not record %s: %v", governance.EventIRHashMismatch, err)
	}
}
