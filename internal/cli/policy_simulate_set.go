package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/report"
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
	format := app.Format()
	if !isSimulateFormat(format) {
		return fail.New(fail.Invalid, "--format %s: policy simulate writes table, json, yaml, ndjson, %s", format, strings.Join(report.Formats[3:], ", "))
	}
	var at time.Time
	if opts.asOf != "" {
		t, err := time.Parse(time.RFC3339, opts.asOf)
		if err != nil {
			return fail.New(fail.Invalid, "--as-of %q: want an RFC 3339 time like 2025-01-31T00:00:00Z", opts.asOf)
		}
		at = t.UTC()
	}
	env, err := parseEnv(opts.env)
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
	snap, err := opts.inputs(ctx, app, nil)
	if err != nil {
		return err
	}
	if at.IsZero() {
		if at, err = defaultEvaluationTime(snap.Inputs); err != nil {
			return err
		}
		app.infof("stella: evaluation time %s (the newest timestamp among the inputs; set it with --as-of)", at.Format(time.RFC3339))
	}
	joined, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		return err
	}
	req := engine.Request{Inputs: snap.Inputs, Match: joined, InputDigests: snapshotRef(snap), Env: env, At: at, Shadow: opts.shadow}
	if opts.snapshot != "" {
		req.SnapshotID = snap.ID()
	}
	res, err := policyset.Evaluate(ctx, policyset.Request{Members: ms, Engine: req})
	if err != nil {
		return err
	}
	switch format {
	case "json":
		err = report.JSON(app.Out, res)
	case "yaml":
		err = writeYAML(app.Out, res)
	default:
		err = app.writeSimulation(format, snap, res.Result, nil, nil, nil, opts.sarifBase)
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
