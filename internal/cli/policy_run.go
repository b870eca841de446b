package cli

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyRunOptions struct {
	snapshot    string
	eval        evalFlags
	shadow      bool
	sign        signFlags
	attestation string
	failOn      string
	labels      []string // --label (baseline.go)
	timestamps  bool
	expectIR    string               // --expect-ir-digest
	set         string               // --set active|P-1,P-4 (checkSet, runSetPolicies)
	loose       map[string]*[]string // --sbom, --advisories, …: refused
	bundle      bundleRunFlags       // --bundle KIT and its verification (bundleRunFlags)
}

func newPolicyRunCmd(app *App) *cobra.Command {
	opts := &policyRunOptions{loose: map[string]*[]string{}}
	cmd := &cobra.Command{
		Use:   "run (POLICY | --set active|P-1,P-4…) --snapshot ID | run [POLICY] --sealed --bundle KIT [--env k=v…] [--as-of TS] [--shadow] [--sign-key K] [--attestation FILE]",
		Short: "Evaluate a policy on a stored snapshot; record, sign and keep the run",
		Long: `Evaluate POLICY — a policy file, or a registered version: P-n (its active
version), P-n@active, P-n@latest or P-n@N — on a snapshot imported into the
database, and record the run: the run record, every finding and explain trace, and the
audit events policy.run.started / completed / failed, in one transaction.

The run is attested by a policy.run@1 in-toto statement (subjects: the
findings and explain traces; predicate: the run record) in a DSSE envelope
signed with --sign-key (a private key file, or the name of a key made with
stella key generate; config signing.key). --attestation also writes it to a
file. Without a key the run is recorded unsigned, with a warning.

When a trust config is in force (--trust, else found as the governance
commands find it: config trust_file, ./trust.yaml, …), a run is an action
of the key that signs it (--sign-key, config signing.key, else config key):
that key must be trusted and hold policy:run, or the run is refused with
exit 3 naming the missing scope — an unsigned run too. Such a governed site
runs only versions approved or active there: any other version (or a policy
file that is no such version) is refused with exit 3 naming its state and
the missing approvals, unless --shadow (recorded with enforced=false). The
record and its signed manifest carry the version's lifecycle state and the
digest of its approval set. Without a trust config (single-user local use)
runs are not gated — but a database whose audit chain records a trust
config is governed wherever the run starts: a run (--shadow, --set and
--bundle too) that finds no trust config is refused with exit 3, naming
the database and the version it records (give --trust FILE, or set
trust_file / STELLA_TRUST_FILE).

Runs only ever see frozen inputs: loose --sbom/--advisories/--vex/… files are
refused with exit 7 (inputs_unfrozen), naming the missing input cursors.
The evaluation time is --as-of, else the wall clock (UTC, whole seconds);
--as-of inputs uses the newest timestamp among the snapshot's inputs. It is
recorded in the run and its signed manifest, and replay uses it. At a
governed site an enforced run may not be backdated or dated ahead: an
evaluation time earlier than the latest enforced run recorded for the
tenant, or more than 5 minutes ahead of the clock, is refused with exit 3
(guard clock); ask a what-if with policy simulate --as-of, and
a past run's verdict with policy replay. --shadow records findings with
enforced=false and never fails the gate.

--set active|P-1,P-4 runs a policy set instead of POLICY (docs/governance.md
"Recording a set"): one run whose record and signed manifest list every
member's version, IR digest and enforcement mode; under a trust config each
enforcing member must be approved or active here.

With --bundle KIT (an offline bundle, docs/bundle.md) the bundle is verified
against --trust-root keys and --time-anchor and imported first (unless it
already was); POLICY (P-n or P-n@v) and --snapshot then choose among the
bundle's own policy versions and snapshots, and may be left out when it
holds one of each. With --sealed nothing may use the network.

Exit codes as policy simulate: 0 passed (or warned), 20 blocked, 21 warned
with --fail-on warned, 2 invalid policy or input, 3 refused (missing scope
policy:run, a version not approved here, no trust config found for a
governed database, or a backdated or future-dated run at a governed site), 4 unknown snapshot or policy
(or no active version), 7 inputs
unfrozen; with --bundle, 6 for a bundle that fails verification.`,
		Args: rangeArgs(0, 1),
		RunE: runE(app, opts, runPolicyRun),
	}
	f := cmd.Flags()
	f.StringVar(&opts.snapshot, "snapshot", "", "a snapshot imported with stella snapshot import: its id, a unique prefix, or its directory")
	opts.eval.register(f)
	f.BoolVar(&opts.shadow, "shadow", false, "shadow run: record findings with enforced=false, never fail the gate")
	opts.sign.add(f, "private key file or generated key name to sign the run manifest")
	f.StringVar(&opts.attestation, "attestation", "", "also write the signed policy.run@1 envelope to this file")
	f.StringVar(&opts.failOn, "fail-on", "blocked", "exit non-zero on: blocked, warned or never")
	f.BoolVar(&opts.timestamps, "timestamps", false, "put the wall-clock start and end times into the signed record")
	f.StringVar(&opts.expectIR, "expect-ir-digest", "", "refuse (exit 6) unless the policy's IR digest is this one (the IR an approval covered)")
	f.StringVar(&opts.set, "set", "", "run a policy set instead of POLICY: active (the tenant's active policies) or P-1,P-4,… (P-n: its active version); docs/governance.md")
	opts.bundle.register(f)
	addLabelFlag(f, &opts.labels)
	f.Lookup("trust").Usage = "trust config in force: the signing key must hold policy:run in it; a bundle's approvals are re-verified against it (default: as the governance commands find it)"
	for _, l := range run.LooseInputs {
		if _, ok := opts.loose[l.Flag]; ok {
			continue
		}
		v := new([]string)
		opts.loose[l.Flag] = v
		f.StringArrayVar(v, l.Flag, nil, "refused: runs need frozen inputs (use snapshot create + import, then --snapshot)")
		f.Lookup(l.Flag).Hidden = true
	}
	return cmd
}

func runPolicyRun(ctx context.Context, app *App, opts *policyRunOptions, args []string) error {
	policyRef := ""
	if len(args) == 1 {
		policyRef = args[0]
	}
	started := time.Now()
	open := func() (*store.Store, error) { return app.openStore(ctx, false) }
	loose := map[string][]string{}
	for flag, v := range opts.loose {
		loose[flag] = *v
	}
	if err := run.RefuseLoose(ctx, open, loose); err != nil {
		return err
	}
	if err := opts.checkSet(policyRef); err != nil {
		return err
	}
	if opts.bundle.path == "" && policyRef == "" && opts.set == "" {
		return fail.New(fail.Invalid, "policy run needs POLICY (or --set, or --bundle KIT)")
	}
	if err := checkLabels(opts.labels); err != nil {
		return err
	}
	if err := run.CheckFailOn(opts.failOn, "blocked", "warned", "never"); err != nil {
		return err
	}
	spec, err := opts.eval.spec(app.Getenv)
	if err != nil {
		return err
	}
	// Under a trust config the signing key acts: it must hold policy:run,
	// and a governed database refuses a run that finds no trust config —
	// checked before anything (a bundle import, the run) changes state.
	act, err := app.authorizeRun(ctx, opts.bundle.trust, &opts.sign, governance.ScopePolicyRun)
	if err != nil {
		return err
	}
	// At a governed site an enforced run is not backdated before the latest
	// one recorded here, nor dated ahead of the clock (--as-of inputs: once
	// the snapshot is known, below).
	if !spec.At.IsZero() {
		if err := app.site().CheckRunTime(ctx, act.Trust, spec.At, started, opts.eval.asOf, opts.shadow); err != nil {
			return err
		}
	}
	if opts.bundle.path != "" {
		var at time.Time // the clock's evaluation time; an --as-of is recorded (and bounded at a governed site: CheckRunTime above)
		if opts.eval.asOf == "" {
			at = spec.At
		}
		if policyRef, opts.snapshot, err = opts.bundle.prepare(ctx, app, act.Trust, policyRef, opts.snapshot, at); err != nil {
			return err
		}
	}
	if opts.snapshot == "" {
		return run.Unfrozen(ctx, open, "no --snapshot given", []string{"snapshot_id"})
	}

	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// The clock may not go behind a signed time anchor imported here; an
	// explicit --as-of is recorded, and at a governed site held between the
	// latest enforced run and the clock (CheckRunTime above).
	if opts.eval.asOf == "" {
		if err := bundle.CheckClock(ctx, st, time.Now()); err != nil {
			return err
		}
	}
	spec.Shadow, spec.Record, spec.Mode, spec.Actor, spec.Timing, spec.Started, spec.Labels = opts.shadow, true, store.ModeRun, act.Principal, opts.timestamps, started, opts.labels
	if opts.set != "" {
		if spec.Set, err = app.runSetPolicies(ctx, st, act, opts); err != nil {
			return err
		}
	} else {
		if spec.Policy, err = app.loadPolicy(ctx, st, policyRef, store.PickActive); err != nil {
			return err
		}
		if err := governance.ExpectIRDigest(spec.Policy, opts.expectIR); err != nil {
			return err
		}
		if spec.Lifecycle, spec.ApprovalSet, err = governance.GatePolicy(ctx, st, act.Trust, spec.Policy, opts.shadow); err != nil {
			return err
		}
	}
	if spec.Snapshot, err = run.StoredSnapshot(ctx, st, opts.snapshot); err != nil {
		return err
	}
	if spec.At.IsZero() {
		// A time the inputs carry none of is refused by the evaluation.
		if at, _, err := run.DefaultTime(spec.Snapshot.Inputs, started); err == nil {
			if err := governance.CheckRunTime(ctx, st, act.Trust, at, started, opts.eval.asOf, opts.shadow); err != nil {
				return err
			}
		}
	}
	// Exceptions frozen with their approvals are checked against this
	// site's trust config and record (revocations) before they can quiet
	// anything.
	if err := governance.VerifyExceptions(ctx, act.Trust, st, spec.Snapshot.Inputs.Exceptions); err != nil {
		return err
	}
	ev, evalErr := app.evaluate(ctx, spec)
	if evalErr != nil && (ev == nil || ev.Err == nil) {
		return evalErr
	}
	// The binding clock check, in the transaction that records the run: a
	// run recorded meanwhile by another process counts (the checks above
	// only spare the work).
	out, err := run.RecordGuarded(ctx, st, ev, act.Key, governance.RunTimeGuard(ctx, act.Trust, ev.At, started, opts.eval.asOf, opts.shadow))
	if err != nil {
		return err
	}
	report.Recorded(app.info(), out)
	if opts.attestation != "" && out.Envelope != nil {
		if err := writeFileAtomic(opts.attestation, out.Envelope, 0o644); err != nil {
			return err
		}
	}
	rec := out.Record
	app.Log.Info("policy run", report.RunLog(out, st.Tenant(), started, ev.Completed)...)
	if evalErr != nil {
		return fail.New(fail.KindOf(evalErr), "run %s failed: %v", rec.RunID, evalErr)
	}
	if act.Key == nil {
		app.infof("stella: warning: run %s is not signed (give --sign-key or set signing.key)", rec.RunID)
	}
	sum := out.Summary()
	if err := app.render(sum, func(w io.Writer) error { return report.RunSummary(w, &sum, app.tableOptions()) }); err != nil {
		return err
	}
	return gate(run.Gate(ev.Result.Verdict, opts.failOn, ev.Result.Shadow))
}

// loadPolicy resolves POLICY (run.LoadPolicy), rendering the compiler's
// diagnostics of a policy file to stderr.
func (a *App) loadPolicy(ctx context.Context, st *store.Store, ref, dflt string) (*run.Policy, error) {
	p, err := run.LoadPolicy(ctx, st, ref, dflt)
	err = governance.StoredIRMismatch(ctx, st, err, ref, dflt)
	var ce *run.CompileError
	switch {
	case errors.As(err, &ce):
		if err := a.diagnostics(ce.Diagnostics, ce.Source); err != nil {
			return nil, err
		}
		return nil, fail.Reported(fail.Invalid)
	case err != nil:
		return nil, err
	}
	return p, a.compilerDiagnostics(p.Diagnostics, p.Source)
}

// record records an outcome, signed by act's key, and the lessons it teaches (run.Record,
// docs/lessons.md) and passes on its warnings.
func (a *App) record(ctx context.Context, st *store.Store, out *run.Outcome, act *governance.RunActor) (*run.Recorded, error) {
	rec, err := run.Record(ctx, st, out, act.Key)
	if err != nil {
		return nil, err
	}
	report.Recorded(a.info(), rec)
	return rec, nil
}

// gate is the exit of a gate decision (run.Gate): nil when it passes.
func gate(k fail.Kind) error {
	if k == 0 {
		return nil
	}
	return fail.Reported(k)
}

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

// bundleRunFlags are the flags of `policy run --bundle KIT`: the bundle and
// how it is verified.
type bundleRunFlags struct {
	path string
	bundleVerifyFlags
}

func (f *bundleRunFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "bundle", "", "evaluate a policy and snapshot of this offline bundle (verified and imported first; see stella bundle import)")
	f.bundleVerifyFlags.register(fs)
	f.registerTrust(fs)
}

// prepare verifies the bundle and imports it (a bundle already imported is
// left as it is; a replayed older one is refused), then returns the policy
// version and snapshot of the bundle the run evaluates: policyRef and
// snapshotRef choose among the bundle's own and may be empty when it holds
// one of each. trust is the trust config in force, read once for the run
// (authorizeRun). at is the run's evaluation time when it comes from the
// clock (zero under --as-of): staleness is judged at it when it is later
// than --time-anchor. The run then reads them from the database, where they are
// the bundle's bytes. Nothing here touches the network; sealed mode only
// forbids naming the bundle or a trust root by URL.
func (f *bundleRunFlags) prepare(ctx context.Context, app *App, trust *governance.Trust, policyRef, snapshotRef string, at time.Time) (string, string, error) {
	o, lim, err := f.importBy(ctx, app, f.path, trust)
	if err != nil {
		return "", "", err
	}
	o.Verify.EvaluatedAt = at
	open := func() (*store.Store, error) { return app.openStore(ctx, false) }
	t, err := bundle.PrepareRun(ctx, f.path, lim, open, o, policyRef, snapshotRef)
	if err != nil {
		return "", "", err
	}
	report.BundleRun(app.info(), t)
	return t.Policy.Ref(), t.SnapshotID, nil
}
