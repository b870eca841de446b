package governance

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// RunGate is what the site's governance says about the policy version a run
// evaluates (docs/governance.md "Runs at a governed site"). The run record
// and its signed manifest carry State and ApprovalSet.
type RunGate struct {
	Policy      string          `json:"policy,omitempty"` // P-n@v; "" for a policy file no registered version matches
	State       string          `json:"state"`            // the effective lifecycle state here
	ApprovalSet string          `json:"approvalSet,omitempty"`
	Approvals   *ApprovalReport `json:"approvals,omitempty"`
}

// Runnable reports whether the state lets a version run enforced at a
// governed site.
func Runnable(state string) bool { return state == store.StateApproved || state == store.StateActive }

// GateRun decides whether a run of the policy with IR irDigest may be
// enforced at this site. pv is the registered version the run names (nil
// for a policy file: the registered version with the same IR is looked up,
// the active one first). The version's state is the effective one under
// the trust config and quorum in force. Unless shadow (the run is recorded
// with enforced=false), a version that is not approved or active is
// refused (guard approval, exit 3) naming its state and what its approvals
// lack.
func (r *Registry) GateRun(ctx context.Context, tx *store.Tx, pv *store.PolicyVersion, irDigest string, shadow bool) (*RunGate, error) {
	v, err := r.runVersion(ctx, tx, pv, irDigest)
	if err != nil {
		return nil, err
	}
	if v == nil {
		if shadow {
			return &RunGate{State: store.StateDraft}, nil
		}
		return nil, refuse(GuardApproval, "this site is governed (%s) and no registered version has IR %s, so it was never approved here; register it (`stella policy new`), have it approved, or run it with --shadow (recorded, not enforced)",
			trustName(r.Trust), irDigest)
	}
	rep, err := r.approvals(ctx, tx, v)
	if err != nil {
		return nil, err
	}
	g := &RunGate{Policy: v.String(), State: effectiveState(v.lc.State, rep), ApprovalSet: rep.SetDigest(), Approvals: rep}
	// An active version runs enforced only while its approvals still count
	// here: after its approvers' keys are removed (or the quorum raised) an
	// enforced run would record an empty approval set.
	if shadow || Runnable(g.State) && (g.State != store.StateActive || rep.Approved) {
		return g, nil
	}
	missing := rep.Quorum - len(rep.Approvers)
	why := []string{text.Count(len(rep.Approvers), "approval", "approvals") + " of " + text.Count(rep.Quorum, "required", "required") + approverList(rep)}
	if missing > 0 {
		why = append(why, "missing "+text.Count(missing, "approval", "approvals"))
	}
	for _, rj := range rep.Rejected {
		why = append(why, "not counted: "+rj.Reason)
	}
	if g.State == store.StateActive {
		return nil, refuse(GuardApproval, "%s is active at this site, but %s count here (%s); an enforced run needs the approvals of the version it runs — put its approvers' keys back in %s or take a new version through approval, or run it with --shadow to record it unenforced",
			v, text.Count(len(rep.Approvers), "approval", "approvals")+" of "+text.Count(rep.Quorum, "required", "required"), strings.Join(why[1:], "; "), trustName(r.Trust))
	}
	if g.State == store.StateArchived {
		why = append(why, "it was retired")
	}
	return nil, refuse(GuardApproval, "%s is %s at this site, not approved or active (%s); only an approved or active version runs enforced where %s is in force — run it with --shadow to record it unenforced",
		v, g.State, strings.Join(why, "; "), trustName(r.Trust))
}

// CheckRunTime refuses (guard clock, exit 3) an enforced run at a
// governed site (trust in force) evaluated at at, earlier than the latest
// evaluation time of an enforced run recorded here for the tenant
// (docs/governance.md "Runs at a governed site"): backdated, it would
// bring expired waivers back into force and ignore what feeds added since.
// An equal time is allowed; shadow runs and ungoverned sites are not
// checked. asOf is the --as-of given ("" when at is the wall clock, which
// only a clock set back can trip). Nor may an enforced run there be dated
// more than attest.MaxClockSkew ahead of the invocation's clock now: one run dated
// in the future would hold every later enforced run to its time. st is nil
// when the database does not exist yet. It is the early check, before
// anything is imported or evaluated; the binding one is RunTimeGuard's,
// in the transaction that records the run.
func CheckRunTime(ctx context.Context, st *store.Store, trust *Trust, at, now time.Time, asOf string, shadow bool) error {
	guard := RunTimeGuard(ctx, trust, at, now, asOf, shadow)
	switch {
	case guard == nil:
		return nil
	case st == nil:
		return guard(nil) // no database yet: no run recorded
	}
	return st.View(ctx, guard)
}

// RunTimeGuard is CheckRunTime inside a transaction (run.RecordGuarded):
// the guard the transaction recording an enforced run at a governed site
// runs first, so that of two runs recorded at once the second is judged
// against the first. A nil tx has recorded no run. Nil when nothing is
// checked (no trust config, a shadow run).
func RunTimeGuard(ctx context.Context, trust *Trust, at, now time.Time, asOf string, shadow bool) func(*store.Tx) error {
	if !clockChecked(trust, shadow) {
		return nil
	}
	return func(tx *store.Tx) error { return checkRunTime(ctx, tx, trust, at, now, asOf) }
}

// clockChecked reports whether the clock rule holds a run: an enforced
// run (not shadow) at a governed site (trust in force).
func clockChecked(trust *Trust, shadow bool) bool { return trust != nil && !shadow }

// checkRunTime is CheckRunTime's rule, read in tx (nil: no database).
func checkRunTime(ctx context.Context, tx *store.Tx, trust *Trust, at, now time.Time, asOf string) error {
	how := "--as-of " + asOf
	if asOf == run.AsOfInputs {
		how = "--as-of inputs, the newest timestamp among the inputs"
	}
	if at.After(now.Add(attest.MaxClockSkew)) {
		return refuse(GuardClock, "evaluation time %s (%s) is ahead of the clock (%s), and this site is governed (%s): an enforced run may not be dated in the future (every later enforced run here would be refused until then, and exceptions expiring before it would lapse early); run it without --as-of or at the clock's time; a what-if at a later time belongs to `stella policy simulate --as-of` (not recorded)",
			at.UTC().Format(time.RFC3339Nano), how, now.UTC().Format(time.RFC3339), trustName(trust))
	}
	if tx == nil {
		return nil
	}
	id, latest, err := tx.LatestEnforced(ctx)
	if err != nil {
		return err
	}
	if id == "" || !at.Before(latest) {
		return nil
	}
	const instead = "a what-if at an earlier time belongs to `stella policy simulate --as-of` (not recorded), and a past run's verdict to `stella policy replay RUN`"
	when, lt := at.UTC().Format(time.RFC3339Nano), latest.Format(time.RFC3339Nano)
	if asOf == "" {
		return refuse(GuardClock, "the clock (%s) is behind the evaluation time %s of run %s, the latest enforced run recorded here, and this site is governed (%s): the clock is wrong or was set back; fix it, or give --as-of %s or later explicitly (it is recorded); %s",
			when, lt, id, trustName(trust), lt, instead)
	}
	return refuse(GuardClock, "evaluation time %s (%s) is before %s, that of run %s, the latest enforced run recorded here, and this site is governed (%s): an enforced run may not be backdated (expired exceptions would count again, later feed entries be ignored); run it at %s or later, or without --as-of; %s",
		when, how, lt, id, trustName(trust), lt, instead)
}

// runVersion is the version a run names, or for a file the registered
// version with its IR (active first, then approved, then the newest).
func (r *Registry) runVersion(ctx context.Context, tx *store.Tx, pv *store.PolicyVersion, irDigest string) (*version, error) {
	if pv != nil {
		lc, err := tx.LifecycleOf(ctx, pv.PolicyID, pv.Version)
		if err != nil {
			return nil, err
		}
		if err := CheckLifecycle(ctx, tx, lc); err != nil {
			return nil, err
		}
		return &version{pv: *pv, lc: lc}, nil
	}
	ls, err := Lifecycles(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	var found []*version
	for _, l := range ls {
		p, err := tx.PolicyVersion(ctx, l.PolicyID, l.Version)
		if err != nil {
			return nil, err
		}
		if p.IRDigest == irDigest {
			found = append(found, &version{pv: p, lc: l})
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	for _, state := range []string{store.StateActive, store.StateApproved} {
		if i := slices.IndexFunc(found, func(v *version) bool { return v.lc.State == state }); i >= 0 {
			return found[i], nil
		}
	}
	return found[len(found)-1], nil
}

// SetDigest is the digest of the approval set: the canonical JSON of the
// version, its IR digest and the sorted digests of the signed approvals
// that count. "" when none counts.
func (rep *ApprovalReport) SetDigest() string {
	if len(rep.counted) == 0 {
		return ""
	}
	ds := slices.Clone(rep.counted)
	slices.Sort(ds)
	_, d, err := canon.DigestOf(struct {
		Policy     string   `json:"policy"`
		IRDigest   string   `json:"irDigest"`
		Statements []string `json:"statements"`
	}{rep.Policy, rep.IRDigest, ds})
	if err != nil {
		return ""
	}
	return d
}

// trustName names the trust config in messages.
func trustName(t *Trust) string {
	if t.Path == "" {
		return "the trust config"
	}
	return t.Path
}
