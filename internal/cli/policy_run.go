package cli

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyRunOptions struct {
	req         governance.RunRequest // POLICY, --snapshot, --set, --shadow, --fail-on, --label, …
	eval        evalFlags
	sign        signFlags
	attestation string
	loose       map[string]*[]string // --sbom, --advisories, …: refused
	bundle      bundleVerifyFlags    // how --bundle KIT is verified, and --trust
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
	f.StringVar(&opts.req.Snapshot, "snapshot", "", "a snapshot imported with stella snapshot import: its id, a unique prefix, or its directory")
	opts.eval.register(f)
	f.BoolVar(&opts.req.Shadow, "shadow", false, "shadow run: record findings with enforced=false, never fail the gate")
	opts.sign.add(f, "private key file or generated key name to sign the run manifest")
	f.StringVar(&opts.attestation, "attestation", "", "also write the signed policy.run@1 envelope to this file")
	f.StringVar(&opts.req.FailOn, "fail-on", "blocked", "exit non-zero on: blocked, warned or never")
	f.BoolVar(&opts.req.Timing, "timestamps", false, "put the wall-clock start and end times into the signed record")
	f.StringVar(&opts.req.ExpectIR, "expect-ir-digest", "", "refuse (exit 6) unless the policy's IR digest is this one (the IR an approval covered)")
	f.StringVar(&opts.req.Set, "set", "", "run a policy set instead of POLICY: active (the tenant's active policies) or P-1,P-4,… (P-n: its active version); docs/governance.md")
	f.StringVar(&opts.req.Bundle, "bundle", "", "evaluate a policy and snapshot of this offline bundle (verified and imported first; see stella bundle import)")
	opts.bundle.register(f)
	opts.bundle.registerTrust(f)
	addLabelFlag(f, &opts.req.Labels)
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
	req := opts.req
	if len(args) == 1 {
		req.Policy = args[0]
	}
	req.Started, req.Eval, req.Getenv, req.Sign = time.Now(), opts.eval.options(), app.Getenv, opts.sign.query(app)
	req.Verify, req.Load = opts.bundle.check(app), app.loadPolicy
	req.Loose = map[string][]string{}
	for flag, v := range opts.loose {
		req.Loose[flag] = *v
	}
	req.Said = governance.RunNotices{
		Bundle:    func(t *bundle.Target) { report.BundleRun(app.info(), t) },
		Evaluated: func(o *run.Outcome) { report.OutcomeNotices(app.info(), o) },
		Recorded:  func(r *run.Recorded) { report.Recorded(app.info(), r) },
	}
	done, err := app.site().Run(ctx, req)
	if err != nil {
		return err
	}
	out, ev := done.Recorded, done.Outcome
	if opts.attestation != "" && out.Envelope != nil {
		if err := writeFileAtomic(opts.attestation, out.Envelope, 0o644); err != nil {
			return err
		}
	}
	app.Log.Info("policy run", report.RunLog(out, done.Tenant, req.Started, ev.Completed)...)
	if done.Err != nil {
		return fail.New(fail.KindOf(done.Err), "run %s failed: %v", out.Record.RunID, done.Err)
	}
	if done.Actor.Key == nil {
		app.infof("stella: warning: run %s is not signed (give --sign-key or set signing.key)", out.Record.RunID)
	}
	sum := out.Summary()
	if err := app.render(sum, func(w io.Writer) error { return report.RunSummary(w, &sum, app.tableOptions()) }); err != nil {
		return err
	}
	return gate(run.Gate(ev.Result.Verdict, req.FailOn, ev.Result.Shadow))
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
