package governance

import (
	"context"
	"time"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// `policy run` at this site (docs/runs.md, docs/governance.md "Runs at a
// governed site"): who runs, on what frozen inputs (a stored snapshot, or
// a bundle's), which version may run enforced, at what time, and the run
// recorded under those rules. The CLI fills a RunRequest from its flags
// and renders what Site.Run returns.

// RunRequest is `policy run` as asked.
type RunRequest struct {
	Policy   string // POLICY: a policy file, or P-n[@v]; with Bundle a version of the bundle
	Snapshot string // --snapshot: a stored snapshot's id, unique prefix or directory
	Set      string // --set active|P-1,P-4 (ParseSet), instead of Policy
	ExpectIR string // --expect-ir-digest
	Shadow   bool   // record with enforced=false, never fail the gate
	FailOn   string // blocked, warned or never
	Labels   []string
	Timing   bool // --timestamps: the wall-clock start and end in the signed record
	// Eval is --env, --as-of, --max-feed-age, --unchecked-budget; Getenv
	// tells where a budget came from (run.EvalOptions.Spec).
	Eval   run.EvalOptions
	Getenv func(string) string
	Loose  map[string][]string // loose input flags given (--sbom, …): refused
	Sign   SigningKeyQuery     // the key that signs, and acts
	Bundle string              // --bundle KIT: evaluate a policy and snapshot of this bundle
	// Verify is how KIT is verified; its Trust is --trust, the trust config
	// in force for the run too (RunTrust).
	Verify BundleCheck
	// Started is the invocation's wall clock, read once by the CLI.
	Started time.Time
	// Load loads a policy (run.LoadPolicy); the CLI renders its compiler's
	// diagnostics.
	Load func(ctx context.Context, st *store.Store, ref, dflt string) (*run.Policy, error)
	// Said are what the run says as it goes, in order (nil: nothing).
	Said RunNotices
}

// RunNotices are what a run tells the user as it goes; the CLI renders
// them (report.BundleRun, OutcomeNotices, Recorded).
type RunNotices struct {
	Bundle    func(*bundle.Target) // the bundle verified and imported
	Evaluated func(*run.Outcome)
	Recorded  func(*run.Recorded)
}

// RunDone is what Site.Run did.
type RunDone struct {
	Outcome  *run.Outcome
	Recorded *run.Recorded
	Actor    *RunActor
	Tenant   string
	// Err is the evaluation's failure, recorded as a failed run.
	Err error
}

// Check refuses what the flags of a run do not combine with, before
// anything is read.
func (r *RunRequest) Check() error {
	switch {
	case r.Set == "":
	case r.Policy != "":
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case r.Bundle != "":
		return fail.New(fail.Invalid, "--set does not apply to --bundle: a bundle runs one policy version")
	case r.ExpectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	if r.Bundle == "" && r.Policy == "" && r.Set == "" {
		return fail.New(fail.Invalid, "policy run needs POLICY (or --set, or --bundle KIT)")
	}
	if err := store.ValidLabels(r.Labels); err != nil {
		return err
	}
	return run.CheckFailOn(r.FailOn, "blocked", "warned", "never")
}

// Run runs a policy as req asks and records the run: loose inputs are
// refused (exit 7); under a trust config the signing key must hold
// policy:run (AuthorizeRun) and a governed database refuses a run that
// finds none (RunTrust) — checked before anything changes state; an
// enforced run may not be backdated nor dated ahead (CheckRunTime, before
// the bundle is imported and before the evaluation; binding in the
// recording transaction, RunTimeGuard); a bundle is verified and imported
// first (bundle.PrepareRun); only an approved or active version runs
// enforced (GatePolicy, GateSet); frozen exceptions are verified here
// (VerifyExceptions). An evaluation that fails is recorded as a failed run
// (RunDone.Err).
func (s *Site) Run(ctx context.Context, req RunRequest) (*RunDone, error) {
	open := func() (*store.Store, error) { return s.Open(ctx, false) }
	if err := run.RefuseLoose(ctx, open, req.Loose); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	spec, err := req.Eval.Spec(req.Started, req.Getenv)
	if err != nil {
		return nil, err
	}
	act, err := s.AuthorizeRun(ctx, req.Verify.Trust, req.Sign, ScopePolicyRun)
	if err != nil {
		return nil, err
	}
	// --as-of inputs: checked once the snapshot is known, below.
	if !spec.At.IsZero() {
		if err := s.CheckRunTime(ctx, act.Trust, spec.At, req.Started, req.Eval.AsOf, req.Shadow); err != nil {
			return nil, err
		}
	}
	policyRef, snapshotRef := req.Policy, req.Snapshot
	if req.Bundle != "" {
		t, err := s.prepareBundle(ctx, req, act.Trust, spec.At)
		if err != nil {
			return nil, err
		}
		if req.Said.Bundle != nil {
			req.Said.Bundle(t)
		}
		policyRef, snapshotRef = t.Policy.Ref(), t.SnapshotID
	}
	if snapshotRef == "" {
		return nil, run.Unfrozen(ctx, open, "no --snapshot given", []string{"snapshot_id"})
	}
	st, err := open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// The clock may not go behind a signed time anchor imported here; an
	// explicit --as-of is recorded, and at a governed site held between the
	// latest enforced run and the clock (CheckRunTime).
	if req.Eval.AsOf == "" {
		if err := bundle.CheckClock(ctx, st, time.Now()); err != nil {
			return nil, err
		}
	}
	spec.Shadow, spec.Record, spec.Mode, spec.Actor, spec.Timing, spec.Started, spec.Labels = req.Shadow, true, store.ModeRun, act.Principal, req.Timing, req.Started, req.Labels
	if err := s.runPolicies(ctx, st, act, req, policyRef, &spec); err != nil {
		return nil, err
	}
	if spec.Snapshot, err = run.StoredSnapshot(ctx, st, snapshotRef); err != nil {
		return nil, err
	}
	if spec.At.IsZero() {
		if err := s.checkInputsTime(ctx, st, act.Trust, &req, spec.Snapshot.Inputs); err != nil {
			return nil, err
		}
	}
	// Exceptions frozen with their approvals are checked against this
	// site's trust config and record (revocations) before they can quiet
	// anything.
	if err := VerifyExceptions(ctx, act.Trust, st, spec.Snapshot.Inputs.Exceptions); err != nil {
		return nil, err
	}
	ev, evalErr := run.Evaluate(ctx, spec)
	if ev != nil && req.Said.Evaluated != nil {
		req.Said.Evaluated(ev)
	}
	if evalErr != nil && (ev == nil || ev.Err == nil) {
		return nil, evalErr
	}
	// The binding clock check, in the transaction that records the run: a
	// run recorded meanwhile by another process counts.
	out, err := run.RecordGuarded(ctx, st, ev, act.Key, RunTimeGuard(ctx, act.Trust, ev.At, req.Started, req.Eval.AsOf, req.Shadow))
	if err != nil {
		return nil, err
	}
	if req.Said.Recorded != nil {
		req.Said.Recorded(out)
	}
	return &RunDone{Outcome: ev, Recorded: out, Actor: act, Tenant: st.Tenant(), Err: evalErr}, nil
}

// runPolicies loads what the run evaluates into spec: the members of
// req.Set (a bare P-n: its active version; GateSet), or the policy ref
// names, held to --expect-ir-digest and the site's governance
// (GatePolicy).
func (s *Site) runPolicies(ctx context.Context, st *store.Store, act *RunActor, req RunRequest, ref string, spec *run.Spec) error {
	load := func(ref string) (*run.Policy, error) { return req.Load(ctx, st, ref, store.PickActive) }
	if req.Set != "" {
		refs, active, err := ParseSet(req.Set)
		if err != nil {
			return err
		}
		if spec.Set, err = LoadSet(ctx, st, refs, active, load); err != nil {
			return err
		}
		return GateSet(ctx, st, act.Trust, spec.Set, req.Shadow)
	}
	var err error
	if spec.Policy, err = load(ref); err != nil {
		return err
	}
	if err := ExpectIRDigest(spec.Policy, req.ExpectIR); err != nil {
		return err
	}
	spec.Lifecycle, spec.ApprovalSet, err = GatePolicy(ctx, st, act.Trust, spec.Policy, req.Shadow)
	return err
}

// prepareBundle verifies the bundle req names and imports it (a bundle
// already imported is left as it is; a replayed older one is refused),
// then returns the policy version and snapshot of the bundle the run
// evaluates: req.Policy and req.Snapshot choose among the bundle's own and
// may be empty when it holds one of each (bundle.PrepareRun). trust is the
// trust config in force, read once for the run. at is the run's
// evaluation time: when it comes from the clock (no --as-of) staleness is
// judged at it when it is later than --time-anchor; with --as-of inputs
// it is the newest timestamp of the bundle's snapshot, held to the clock
// rule (CheckRunTime) before anything is imported, as req.ExpectIR is to
// the selected version's IR digest. Nothing here touches
// the network; sealed mode only forbids naming the bundle or a trust root
// by URL.
func (s *Site) prepareBundle(ctx context.Context, req RunRequest, trust *Trust, at time.Time) (*bundle.Target, error) {
	o, lim, err := s.importOptions(ctx, req.Verify, req.Bundle, func() (*Trust, error) { return trust, nil })
	if err != nil {
		return nil, err
	}
	if req.Eval.AsOf == "" {
		o.Verify.EvaluatedAt = at
	}
	// Held before the import, so a refusal writes nothing: the IR the
	// selected version's manifest entry names (verified against its
	// ir.json) to --expect-ir-digest, and with --as-of inputs the time of
	// the bundle's snapshot to the clock rule.
	o.Check = func(b *bundle.Bundle, t *bundle.Target) error {
		if err := expectIR(t.Policy.PolicyID, t.Policy.Version, t.Policy.IRDigest, req.ExpectIR); err != nil {
			return err
		}
		if req.Eval.AsOf != run.AsOfInputs || !clockChecked(trust, req.Shadow) {
			return nil
		}
		snap, err := b.Snapshot(t.SnapshotID)
		if err != nil {
			return err
		}
		return s.checkInputsTime(ctx, nil, trust, &req, snap.Inputs)
	}
	return bundle.PrepareRun(ctx, req.Bundle, lim, func() (*store.Store, error) { return s.Open(ctx, false) }, o, req.Policy, req.Snapshot)
}

// checkInputsTime holds the evaluation time of --as-of inputs, the newest
// timestamp among in (run.DefaultTime), to the clock rule (CheckRunTime)
// on st, or with st nil on the site's database if it exists
// (Site.CheckRunTime). A time the inputs carry none of is refused by the
// evaluation.
func (s *Site) checkInputsTime(ctx context.Context, st *store.Store, trust *Trust, req *RunRequest, in *model.Inputs) error {
	at, _, err := run.DefaultTime(in, req.Started)
	switch {
	case err != nil:
		return nil
	case st == nil:
		return s.CheckRunTime(ctx, trust, at, req.Started, req.Eval.AsOf, req.Shadow)
	}
	return CheckRunTime(ctx, st, trust, at, req.Started, req.Eval.AsOf, req.Shadow)
}
