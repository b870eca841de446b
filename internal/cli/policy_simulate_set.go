package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

// runPolicySimulateSet evaluates a policy set (--set active, or a
// comma-separated list of policies) on the inputs: docs/governance.md
// "Evaluating a set".
func runPolicySimulateSet(ctx context.Context, app *App, args []string, opts *policySimulateOptions) error {
	switch {
	case len(args) > 0:
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case opts.baseline != "" || opts.failOn == "new-blocked":
		return fail.New(fail.Invalid, "--baseline and --fail-on new-blocked do not apply to --set")
	case opts.record:
		return fail.New(fail.Invalid, "--record does not apply to --set yet: a recorded run holds one policy")
	}
	switch opts.failOn {
	case "blocked", "warned", "never":
	default:
		return fail.New(fail.Invalid, "--fail-on %q: want blocked, warned or never", opts.failOn)
	}
	format, at, env, err := opts.prepare(app)
	if err != nil {
		return err
	}
	var refs []string
	if opts.set != "active" {
		for _, r := range strings.Split(opts.set, ",") {
			if r = strings.TrimSpace(r); r != "" {
				refs = append(refs, r)
			}
		}
		if len(refs) == 0 {
			return fail.New(fail.Invalid, "--set %q: want active, or policies P-1,P-4 (files or registered)", opts.set)
		}
	}
	ms, err := app.setMembers(ctx, refs, opts.set == "active")
	if err != nil {
		return err
	}
	spec := run.Spec{Set: ms, Env: env, At: at, Shadow: opts.shadow, MaxFeedAge: opts.feedAge}
	if err := opts.inputs(ctx, app, nil, &spec); err != nil {
		return err
	}
	out, err := app.evaluate(ctx, spec)
	if err != nil {
		return err
	}
	res := out.Set
	switch format {
	case "json":
		err = report.JSON(app.Out, res)
	case "yaml":
		err = writeYAML(app.Out, res)
	default:
		err = app.writeSimulation(format, out, simView{sarifBase: opts.sarifBase, show: opts.show})
		if err == nil && format == "table" {
			err = writeSetMembers(app, res)
		}
	}
	if err != nil {
		return err
	}
	if format != "table" && !app.Global.Quiet {
		fmt.Fprintln(app.Err, "stella: "+report.Summary(res.Result))
	}
	return gateExit(res.Verdict, opts.failOn, opts.shadow)
}

// writeSetMembers lists the members of an evaluated set under the table.
func writeSetMembers(app *App, res *policyset.Result) error {
	fmt.Fprintf(app.Out, "\nset %s (%d policies)\n", res.Set.Digest, len(res.Set.Members))
	t := app.newTable(app.Out, "POLICY", "NAME", "ENFORCEMENT", "SCOPE", "APPLIES", "FINDINGS", "VERDICT", "DECIDED", "IR DIGEST")
	for _, m := range res.Set.Members {
		t.Append(m.Policy, m.Name, m.Enforcement, m.Scope, fmt.Sprint(m.Applies), fmt.Sprint(m.Findings), m.Verdict, fmt.Sprint(m.Decided), m.Digest)
	}
	if err := t.Render(); err != nil {
		return err
	}
	if res.Set.Uncovered > 0 {
		fmt.Fprintf(app.Out, "%d findings are in no evaluated policy's scope\n", res.Set.Uncovered)
	}
	return nil
}
