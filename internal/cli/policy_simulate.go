package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

type policySimulateOptions struct {
	in        inputFlags
	snapshot  string
	eval      evalFlags
	baseline  string
	failOn    string
	base      baselineFlags // --baseline-run, --baseline-snapshot, --baseline-sbom (baseline.go)
	labels    []string
	sarifBase string
	show      []string
	shadow    bool
	expectIR  string // --expect-ir-digest
	record    bool
	sign      signFlags
	trust     string
	set       string
	refs      []string // --set's policies (check)
	active    bool     // --set active
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
	f.StringVar(&opts.baseline, "baseline", "", "also evaluate this policy and report the verdict changes")
	f.StringVar(&opts.failOn, "fail-on", "blocked", "exit non-zero on: blocked, warned, never; new-blocked (needs a baseline) or new-warned (needs --baseline-run/-snapshot/-sbom)")
	opts.base.register(f)
	addLabelFlag(f, &opts.labels)
	f.StringSliceVar(&opts.show, "show", nil, "table: show only findings with these verdicts, e.g. blocked,warned")
	f.StringVar(&opts.sarifBase, "sarif-base", "", "with --format sarif: the repository root; SBOM locations become relative to it (uriBaseId SRCROOT)")
	f.BoolVar(&opts.shadow, "shadow", false, "shadow evaluation: findings are not enforced and the gate never fails")
	f.StringVar(&opts.expectIR, "expect-ir-digest", "", "refuse (exit 6) unless the policy's IR digest is this one (the IR an approval covered)")
	f.BoolVar(&opts.record, "record", false, "record the simulation in the database (run history, findings, explains)")
	opts.sign.add(f, "with --record: key to sign the run manifest")
	f.StringVar(&opts.set, "set", "", "evaluate a policy set instead of POLICY: active (the tenant's active policies) or P-1,P-4,… (registered or files); docs/governance.md")
	f.StringVar(&opts.trust, "trust", "", "with --record: trust config in force; the signing key must hold policy:simulate in it (default: as the governance commands find it)")
	return cmd
}

func runPolicySimulate(ctx context.Context, app *App, opts *policySimulateOptions, args []string) error {
	if err := opts.check(args); err != nil {
		return err
	}
	format, spec, err := opts.prepare(app)
	if err != nil {
		return err
	}
	var act *governance.RunActor
	if opts.record {
		if act, err = app.authorizeRun(ctx, opts.trust, &opts.sign, governance.ScopePolicySimulate); err != nil {
			return err
		}
	}
	if err := opts.base.noHistory(app, opts.record); err != nil {
		return err
	}
	var st *store.Store
	if opts.record || opts.set == "" && (run.IsRegistered(args[0]) || run.IsRegistered(opts.baseline) || opts.base.run != "") {
		if st, err = app.openStore(ctx, !opts.record); err != nil {
			return err
		}
		defer st.Close()
	}
	spec.Shadow, spec.Record, spec.Mode, spec.Labels = opts.shadow, opts.record, store.ModeSimulate, opts.labels
	if err := opts.policies(ctx, app, st, args, &spec); err != nil {
		return err
	}
	if err := opts.inputs(ctx, app, st, &spec); err != nil {
		return err
	}
	if act != nil {
		spec.Actor = act.Principal
	}
	if opts.base.given() > 0 {
		spec.Against, err = opts.base.prepare(ctx, app, st)
		if err != nil {
			if spec.Against != nil {
				report.Compared(app.info(), spec.Against.Compared())
			}
			return err
		}
	}
	out, err := app.evaluate(ctx, spec)
	var base *run.Compared
	if spec.Against != nil && out != nil {
		base = spec.Against.Compared()
		report.Compared(app.info(), base)
	}
	if err != nil {
		return err
	}
	view := report.Options{Color: app.Color(), TTY: app.OutTTY, Width: app.termWidth(), SARIFBase: opts.sarifBase, Show: opts.show}
	if base != nil {
		view.Delta = base.Delta
	}
	k := out.Gate(opts.failOn, base)
	if strings.HasPrefix(opts.failOn, "new-") {
		view.FailOn, view.FailOnOutcome = opts.failOn, report.GateOutcome(k)
	}
	if opts.record {
		rec, err := app.record(ctx, st, out, act)
		if err != nil {
			return err
		}
		app.infof("stella: recorded simulation %s", rec.Record.RunID)
	}
	if err := report.Outcome(app.Out, format, out, view); err != nil {
		return err
	}
	if format != "table" {
		report.OutcomeSummary(app.info(), out, view.Delta)
	}
	if view.FailOn != "" {
		report.FailOnNotice(app.info(), opts.failOn, k, out, base)
	}
	return gate(k)
}

// policies sets what spec evaluates: POLICY and --baseline (a bare P-n:
// its active version), or the members of --set (a bare P-n: its latest).
func (o *policySimulateOptions) policies(ctx context.Context, app *App, st *store.Store, args []string, spec *run.Spec) (err error) {
	if o.set != "" {
		spec.Set, err = app.setPolicies(ctx, st, o.refs, o.active, store.PickLatest)
		return err
	}
	if spec.Policy, err = app.loadPolicy(ctx, st, args[0], store.PickActive); err != nil {
		return err
	}
	if err := governance.ExpectIRDigest(spec.Policy, o.expectIR); err != nil {
		return err
	}
	if o.baseline != "" {
		spec.Baseline, err = app.loadPolicy(ctx, st, o.baseline, store.PickActive)
	}
	return err
}

// prepare checks the output format and parses the evaluation flags
// (evalFlags.spec): the steps every simulation takes first.
func (o *policySimulateOptions) prepare(app *App) (string, run.Spec, error) {
	format := app.Format()
	if !isSimulateFormat(format) {
		return "", run.Spec{}, fail.New(fail.Invalid, "--format %s: policy simulate writes table, json, yaml, ndjson, %s", format, strings.Join(report.Formats[3:], ", "))
	}
	spec, err := o.eval.spec(app.Getenv)
	return format, spec, err
}

// evalFlags are the flags every evaluation takes (simulate, run, diff):
// --env, --as-of, --max-feed-age (docs/output.md "Freshness") and
// --unchecked-budget ("Coverage").
type evalFlags struct {
	env       []string
	asOf      string
	maxAge    string
	unchecked int
	flags     *pflag.FlagSet // where --unchecked-budget is defined
}

func (e *evalFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&e.env, "env", nil, "environment value k=v for env.* (repeatable)")
	f.StringVar(&e.asOf, "as-of", "", "evaluation time, RFC 3339, or \"inputs\" for the newest timestamp among the inputs (default: now, UTC, whole seconds)")
	f.StringVar(&e.maxAge, "max-feed-age", "", "warn when the newest advisory modified time is older than this at the evaluation time, e.g. 7d or 36h; 0 never warns (default 7d, or the policy's settings max_feed_age_days, which blocks; given, it can only tighten that)")
	e.flags = f
	f.IntVar(&e.unchecked, "unchecked-budget", -1, "block when more components than this could not be checked against any advisory (docs/output.md \"Coverage\"); -1: only settings unchecked_budget gates")
}

// spec parses --as-of (against the wall clock, read here once), --env,
// --max-feed-age and --unchecked-budget (with where it came from, for the
// record: getenv tells the environment from the config file) into the
// Spec every evaluation starts from.
func (e *evalFlags) spec(getenv func(string) string) (spec run.Spec, err error) {
	if spec.At, err = run.ParseAsOf(e.asOf, time.Now()); err != nil {
		return spec, err
	}
	if spec.Env, err = run.ParseEnv(e.env); err != nil {
		return spec, err
	}
	if e.unchecked < -1 {
		return spec, fail.New(fail.Invalid, "--unchecked-budget %d: give a number of components ≥ 0, or -1 for none", e.unchecked)
	}
	if e.unchecked >= 0 {
		spec.UncheckedBudget, spec.UncheckedSource = &e.unchecked, store.BudgetConfig
		if e.flags.Changed("unchecked-budget") {
			spec.UncheckedSource = store.BudgetFlag
		} else if getenv(store.BudgetEnv) != "" {
			spec.UncheckedSource = store.BudgetEnv
		}
	}
	age := e.maxAge
	if spec.MaxFeedAgeGiven = age != ""; !spec.MaxFeedAgeGiven {
		age = "7d"
	}
	spec.MaxFeedAge, err = parseAge("--max-feed-age", age)
	return spec, err
}

// isSimulateFormat reports whether a result is written in format f: a
// report format, or yaml.
func isSimulateFormat(f string) bool { return f == "yaml" || slices.Contains(report.Formats, f) }

// inputs sets the inputs of spec: the loose input files, frozen in memory
// by Evaluate, or the snapshot.
func (o *policySimulateOptions) inputs(ctx context.Context, app *App, st *store.Store, spec *run.Spec) error {
	r := o.in.Request
	loose := len(r.SBOMs)+len(r.Advisories)+len(r.VEX)+len(r.NVD)+len(r.Signals)+len(r.Reachability)+len(r.Exceptions) > 0 || r.EPSS != "" || r.KEV != "" || len(o.in.feeds) > 0
	if o.snapshot != "" {
		if loose {
			return fail.New(fail.Invalid, "--snapshot and input files (--sbom, --advisories, --feeds, …) exclude each other")
		}
		var err error
		spec.Snapshot, err = app.findSnapshot(ctx, st, o.snapshot)
		return err
	}
	if len(r.SBOMs) == 0 {
		return fail.New(fail.Invalid, "give at least one --sbom (with --advisories, --vex, …), or --snapshot")
	}
	if len(r.Advisories) == 0 && len(o.in.feeds) == 0 {
		o.in.feeds = []string{feeds.Auto} // docs/feeds.md: simulate from the feed cache: every cached feed, if any
	}
	files, err := o.in.spec(app)
	if err != nil {
		return err
	}
	if len(files.Advisories) == 0 {
		if _, err := snapshot.FromFiles(files); err != nil {
			return err // a bad input file is named first
		}
		return fail.New(fail.Invalid, "no advisories to evaluate: give --advisories PATH or --snapshot ID, or pull feeds into the cache (%s) first: %s",
			app.feedCacheDir(o.in.cacheDir), feeds.PullHint)
	}
	if o.in.usedFeeds != nil {
		app.infof("stella: no --advisories: using the cached feeds in %s: %s", app.feedCacheDir(o.in.cacheDir), feeds.Ages(o.in.usedFeeds, time.Now()))
	}
	spec.Files = &files
	return nil
}

// findSnapshot opens a snapshot directory, a snapshot under the snapshots
// directory, or one imported into the database (st, when open).
func (a *App) findSnapshot(ctx context.Context, st *store.Store, ref string) (*snapshot.Snapshot, error) {
	dir, err := snapshot.Resolve(a.snapshotsDir(), ref)
	if fail.Is(err, fail.NotFound) {
		// Not a directory or a snapshot under the snapshots directory:
		// perhaps one imported into the database.
		if st != nil {
			return run.StoredSnapshot(ctx, st, ref)
		}
		return a.openStoredSnapshot(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	return snapshot.Load(dir)
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

// check refuses the flag combinations a simulation does not take. With
// --set (a policy set: --set active, or a comma-separated list of policies;
// docs/governance.md "Evaluating a set") it reads the set.
func (o *policySimulateOptions) check(args []string) (err error) {
	if o.set == "" {
		if len(args) == 0 {
			return fail.New(fail.Invalid, "give POLICY (a .stella file or P-n[@version]), or --set")
		}
		return o.checkBaselines()
	}
	switch {
	case len(args) > 0:
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case o.baseline != "" || o.base.given() > 0 || strings.HasPrefix(o.failOn, "new-"):
		return fail.New(fail.Invalid, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set")
	case o.expectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	if err := run.CheckFailOn(o.failOn, "blocked", "warned", "never"); err != nil {
		return err
	}
	if err := o.checkBaselines(); err != nil {
		return err // --label
	}
	o.refs, o.active, err = governance.ParseSet(o.set)
	return err
}
