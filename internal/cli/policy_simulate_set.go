package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// runPolicySimulateSet evaluates a policy set (--set active, or a
// comma-separated list of policies) on the inputs: docs/governance.md
// "Evaluating a set".
func runPolicySimulateSet(ctx context.Context, app *App, args []string, opts *policySimulateOptions) error {
	switch {
	case len(args) > 0:
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case opts.baseline != "" || opts.base.given() > 0 || strings.HasPrefix(opts.failOn, "new-"):
		return fail.New(fail.Invalid, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set")
	case opts.expectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	if err := run.CheckFailOn(opts.failOn, "blocked", "warned", "never"); err != nil {
		return err
	}
	if len(opts.labels) > 0 && !opts.record {
		return fail.New(fail.Invalid, "--label labels a recorded run: add --record")
	}
	if err := checkLabels(opts.labels); err != nil {
		return err
	}
	format, spec, err := opts.prepare(app)
	if err != nil {
		return err
	}
	refs, active, err := governance.ParseSet(opts.set)
	if err != nil {
		return err
	}
	var act *governance.RunActor
	var st *store.Store
	if opts.record {
		if act, err = app.authorizeRun(opts.trust, &opts.sign, governance.ScopePolicySimulate); err != nil {
			return err
		}
		if st, err = app.openStore(ctx, false); err != nil {
			return err
		}
		defer st.Close()
	}
	ms, err := app.setPolicies(ctx, st, refs, active, store.PickLatest)
	if err != nil {
		return err
	}
	spec.Set, spec.Shadow, spec.Record, spec.Mode, spec.Labels = ms, opts.shadow, opts.record, store.ModeSimulate, opts.labels
	if act != nil {
		spec.Actor = act.Principal
	}
	if err := opts.inputs(ctx, app, st, &spec); err != nil {
		return err
	}
	out, err := app.evaluate(ctx, spec)
	if err != nil {
		return err
	}
	if opts.record {
		rec, err := app.record(ctx, st, out, act)
		if err != nil {
			return err
		}
		app.infof("stella: recorded simulation %s", rec.Record.RunID)
	}
	res := out.Set
	switch format {
	case "json":
		err = report.JSON(app.Out, res)
	case "yaml":
		err = report.YAML(app.Out, res)
	default:
		err = app.writeSimulation(format, out, simView{sarifBase: opts.sarifBase, show: opts.show})
		if err == nil && format == "table" {
			err = report.SetMembers(app.Out, res, app.tableOptions())
		}
	}
	if err != nil {
		return err
	}
	if format != "table" && !app.Global.Quiet {
		fmt.Fprintln(app.Err, "stella: "+report.Summary(res.Result))
	}
	return gate(run.Gate(res.Verdict, opts.failOn, opts.shadow))
}
