package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policySimulateOptions struct {
	in        inputFlags
	snapshot  string
	eval      evalFlags
	req       run.SimulateRequest // POLICY, --set, --baseline…, --fail-on, --expect-ir-digest, --label, --record
	sarifBase string
	show      []string
	shadow    bool
	sign      signFlags
	trust     string
}

func newPolicySimulateCmd(app *App) *cobra.Command {
	opts := &policySimulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate (POLICY | --set active|P-1,P-4…) (--sbom FILE… [--advisories P…] [--vex F…] [--nvd P…] [--epss F] [--kev F] [--reachability F…] [--exceptions F…] | --snapshot ID|DIR) [--env k=v…] [--as-of TS] [--baseline POLICY] [--fail-on blocked|warned|never|new-blocked]",
		Short: "Evaluate a policy on inputs and gate on the verdict (CI)",
		Long: `Evaluate POLICY — a .stella file, or a registered P-n (its active version),
P-n@active, P-n@latest or P-n@N — on loose
input files frozen in memory, or on a snapshot (a directory made by
stella snapshot create, or the id of one under the snapshots directory),
and print the findings with their verdicts. Nothing is stored unless
--record is given.

The evaluation time is --as-of, else the wall clock (UTC, whole seconds), so
expired waivers and ignore-until windows end by the calendar; --as-of inputs
uses the newest timestamp among the inputs (stderr says so). The same inputs
at the same time give byte-identical output.

--baseline POLICY evaluates a second policy on the same inputs and reports
added / removed / changed / unchanged findings (old → new verdict and
severity) and each rule's impact. With --fail-on new-blocked the gate fails
only when the candidate blocks a finding the baseline did not block.

Formats (--format): table, json (the full result, with explain traces),
yaml, ndjson (one finding a line), sarif (2.1.0), junit, openvex and html
(one self-contained page). See docs/output.md.

Exit codes: 0 passed (or warned without --fail-on warned), 20 blocked,
21 warned with --fail-on warned, 2 invalid policy or input, 3 --record
refused (missing scope policy:simulate under a trust config, or no trust
config found for a database that records one), 4 unknown
snapshot or policy. A shadow policy (settings shadow = true, or --shadow)
never fails the gate.

--record stores the simulation as a run (mode simulate). When a trust
config is in force, recording is an action of the key that signs it
(--sign-key, config signing.key, else config key): it must be trusted and
hold policy:simulate, or the command is refused with exit 3 before anything
is evaluated. Without a trust config recording is not gated — but a
database whose audit chain records a trust config refuses --record when
none is found (exit 3, guard trust; docs/governance.md "Signed trust").
A simulation that records nothing runs anywhere.`,
		Args: rangeArgs(0, 1),
		RunE: runE(app, opts, runPolicySimulate),
	}
	f := cmd.Flags()
	opts.in.AddFlags(f)
	f.StringVar(&opts.snapshot, "snapshot", "", "evaluate a snapshot instead of loose files: its directory, or its id (unique prefix) under the snapshots directory")
	opts.eval.register(f)
	f.StringVar(&opts.req.Baseline, "baseline", "", "also evaluate this policy and report the verdict changes")
	f.StringVar(&opts.req.FailOn, "fail-on", "blocked", "exit non-zero on: blocked, warned, never; new-blocked (needs a baseline) or new-warned (needs --baseline-run/-snapshot/-sbom)")
	addBaselineFlags(f, &opts.req.Against)
	addLabelFlag(f, &opts.req.Labels)
	f.StringSliceVar(&opts.show, "show", nil, "table: show only findings with these verdicts, e.g. blocked,warned")
	f.StringVar(&opts.sarifBase, "sarif-base", "", "with --format sarif: the repository root; SBOM locations become relative to it (uriBaseId SRCROOT)")
	f.BoolVar(&opts.shadow, "shadow", false, "shadow evaluation: findings are not enforced and the gate never fails")
	f.StringVar(&opts.req.ExpectIR, "expect-ir-digest", "", "refuse (exit 6) unless the policy's IR digest is this one (the IR an approval covered)")
	f.BoolVar(&opts.req.Record, "record", false, "record the simulation in the database (run history, findings, explains)")
	opts.sign.add(f, "with --record: key to sign the run manifest")
	f.StringVar(&opts.req.Set, "set", "", "evaluate a policy set instead of POLICY: active (the tenant's active policies) or P-1,P-4,… (registered or files); docs/governance.md")
	f.StringVar(&opts.trust, "trust", "", "with --record: trust config in force; the signing key must hold policy:simulate in it (default: as the governance commands find it)")
	return cmd
}

func runPolicySimulate(ctx context.Context, app *App, opts *policySimulateOptions, args []string) error {
	req := &opts.req
	if len(args) == 1 {
		req.Policy = args[0]
	}
	if err := req.Check(); err != nil {
		return err
	}
	var refs []string // --set's policies
	var active bool   // --set active
	if req.Set != "" {
		var err error
		if refs, active, err = governance.ParseSet(req.Set); err != nil {
			return err
		}
	}
	format := app.Format()
	if err := report.OutcomeFormat(format, false); err != nil {
		return err
	}
	spec, err := opts.eval.spec(app.Getenv)
	if err != nil {
		return err
	}
	var act *governance.RunActor
	if req.Record {
		if act, err = app.authorizeRun(ctx, opts.trust, &opts.sign, governance.ScopePolicySimulate); err != nil {
			return err
		}
	}
	var st *store.Store
	if open, err := req.Store(app.Global.DB); err != nil {
		return err
	} else if open {
		if st, err = app.openStore(ctx, !req.Record); err != nil {
			return err
		}
		defer st.Close()
	}
	spec.Shadow, spec.Record, spec.Mode, spec.Labels = opts.shadow, req.Record, store.ModeSimulate, req.Labels
	if req.Set != "" {
		spec.Set, err = app.setPolicies(ctx, st, refs, active, store.PickLatest)
	} else {
		err = opts.policies(ctx, app, st, &spec)
	}
	if err != nil {
		return err
	}
	if err := opts.inputs(ctx, app, st, &spec); err != nil {
		return err
	}
	if act != nil {
		spec.Actor = act.Principal
	}
	if spec.Against, err = req.Against.Prepare(ctx, st, app.snapshots("")); err != nil {
		report.Compared(app.info(), spec.Against.Compared())
		return err
	}
	out, err := app.evaluate(ctx, spec)
	base := out.Compared()
	report.Compared(app.info(), base)
	if err != nil {
		return err
	}
	k := out.Gate(req.FailOn, base)
	if req.Record {
		rec, err := app.record(ctx, st, out, act)
		if err != nil {
			return err
		}
		app.infof("stella: recorded simulation %s", rec.Record.RunID)
	}
	view := report.Options{Color: app.Color(), TTY: app.OutTTY, Width: app.termWidth(), SARIFBase: opts.sarifBase, Show: opts.show}
	if err := report.Simulated(app.Out, app.info(), format, out, base, req.FailOn, k, view); err != nil {
		return err
	}
	return gate(k)
}

// policies sets the policy spec evaluates, POLICY (a bare P-n: its active
// version), held to --expect-ir-digest, and --baseline.
func (o *policySimulateOptions) policies(ctx context.Context, app *App, st *store.Store, spec *run.Spec) (err error) {
	if spec.Policy, err = app.loadPolicy(ctx, st, o.req.Policy, store.PickActive); err != nil {
		return err
	}
	if err := governance.ExpectIRDigest(spec.Policy, o.req.ExpectIR); err != nil {
		return err
	}
	if o.req.Baseline != "" {
		spec.Baseline, err = app.loadPolicy(ctx, st, o.req.Baseline, store.PickActive)
	}
	return err
}

// evalFlags are the flags every evaluation takes (simulate, run, diff),
// bound into run.EvalOptions.
type evalFlags struct {
	run.EvalOptions
	flags *pflag.FlagSet // where --unchecked-budget is defined
}

func (e *evalFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&e.Env, "env", nil, "environment value k=v for env.* (repeatable)")
	f.StringVar(&e.AsOf, "as-of", "", "evaluation time, RFC 3339, or \"inputs\" for the newest timestamp among the inputs (default: now, UTC, whole seconds)")
	f.StringVar(&e.MaxFeedAge, "max-feed-age", "", "warn when the newest advisory modified time is older than this at the evaluation time, e.g. 7d or 36h; 0 never warns (default 7d, or the policy's settings max_feed_age_days, which blocks; given, it can only tighten that)")
	e.flags = f
	f.IntVar(&e.UncheckedBudget, "unchecked-budget", -1, "block when more components than this could not be checked against any advisory (docs/output.md \"Coverage\"); -1: only settings unchecked_budget gates")
}

// options are the options the flags give, with whether --unchecked-budget
// was given on the command line.
func (e *evalFlags) options() run.EvalOptions {
	o := e.EvalOptions
	o.BudgetFlag = e.flags.Changed("unchecked-budget")
	return o
}

// spec is the Spec every evaluation starts from (run.EvalOptions.Spec),
// --as-of read against the wall clock, read here once.
func (e *evalFlags) spec(getenv func(string) string) (run.Spec, error) {
	return e.options().Spec(time.Now(), getenv)
}

// inputs sets the inputs of spec: the loose input files, frozen in memory
// by Evaluate, or the snapshot (run.SimulateInputs).
func (o *policySimulateOptions) inputs(ctx context.Context, app *App, st *store.Store, spec *run.Spec) (err error) {
	in := o.in.inputs(app)
	if in.Feeds, err = run.SimulateInputs(in.Request, in.Feeds, o.snapshot); err != nil {
		return err
	}
	if o.snapshot != "" {
		spec.Snapshot, err = app.snapshots("").Find(ctx, st, o.snapshot)
		return err
	}
	r, err := in.Spec()
	if err != nil {
		return err
	}
	if err := run.NoAdvisories(r.Spec, r.Cache); err != nil {
		return err
	}
	if n := r.Notice(time.Now()); n != "" {
		app.infof("%s", n)
	}
	spec.Files = &r.Spec
	return nil
}

// evaluate evaluates spec, telling the user what they should know on the
// way: the warnings of loose input files, the evaluation time chosen.
func (a *App) evaluate(ctx context.Context, spec run.Spec) (*run.Outcome, error) {
	out, err := run.Evaluate(ctx, spec)
	if out == nil {
		return nil, err
	}
	report.OutcomeNotices(a.info(), out)
	return out, err
}
