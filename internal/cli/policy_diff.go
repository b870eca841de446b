package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyDiffOptions struct {
	snapshot string
	eval     evalFlags
	failOn   string
}

func newPolicyDiffCmd(app *App) *cobra.Command {
	opts := &policyDiffOptions{}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW --snapshot ID [--env k=v…] [--as-of TS] | diff RUN_A RUN_B",
		Short: "Verdict changes between two policy versions on one snapshot, or the delta between two recorded runs",
		Long: `Evaluate two policies — files or registered P-n@v versions — on the same
snapshot and report the findings whose verdict, VEX status or severity band
changed, were added or removed, and what each rule does in each policy. The
output is the same as policy simulate NEW --snapshot ID --baseline OLD.
Nothing is recorded.

The snapshot is one imported into the database, a snapshot directory, or a
snapshot under the snapshots directory. Exit 0, or 20 with --fail-on
new-blocked when NEW blocks a finding or a run-level gate (such as
unknowns_budget) OLD did not block.

When both arguments name recorded runs (run:… ids or prefixes, latest,
or latest:LABEL) and no --snapshot is given, the output is the delta of RUN_B
against RUN_A, as simulate --baseline-run RUN_A writes it: components
added, removed and upgraded, findings new, fixed, unchanged and with a
changed verdict (docs/runs.md "Diff"). --fail-on new-blocked exits 20 when
RUN_B blocks a finding RUN_A did not block; new-warned also 21 for a newly
warned one.`,
		Args: exactArgs(2),
		RunE: runE(app, opts, runPolicyDiff),
	}
	f := cmd.Flags()
	f.StringVar(&opts.snapshot, "snapshot", "", "the snapshot both policies are evaluated on")
	opts.eval.register(f)
	f.StringVar(&opts.failOn, "fail-on", "never", "exit 20 on: new-blocked, or never; between runs also new-warned")
	return cmd
}

func runPolicyDiff(ctx context.Context, app *App, opts *policyDiffOptions, args []string) error {
	oldRef, newRef := args[0], args[1]
	if opts.snapshot == "" && run.IsRunRef(oldRef) && run.IsRunRef(newRef) {
		return runDiffRuns(ctx, app, oldRef, newRef, opts.failOn)
	}
	if opts.snapshot == "" {
		return fail.New(fail.Invalid, "policy diff needs --snapshot ID to compare two policies (or two runs: run ids, latest or latest:LABEL)")
	}
	if err := run.CheckFailOn(opts.failOn, "new-blocked", "never"); err != nil {
		return err
	}
	format := app.Format()
	if !isSimulateFormat(format) {
		return fail.New(fail.Invalid, "--format %s: policy diff writes the formats of policy simulate", format)
	}
	spec, err := opts.eval.spec(app.Getenv)
	if err != nil {
		return err
	}
	var st *store.Store
	if fileExists(app.Global.DB) || run.IsRegistered(oldRef) || run.IsRegistered(newRef) {
		if st, err = app.openStore(ctx, true); err != nil {
			return err
		}
		defer st.Close()
	}
	if spec.Baseline, err = app.loadPolicy(ctx, st, oldRef, store.PickLatest); err != nil {
		return err
	}
	if spec.Policy, err = app.loadPolicy(ctx, st, newRef, store.PickLatest); err != nil {
		return err
	}
	if spec.Snapshot, err = app.findSnapshot(ctx, st, opts.snapshot); err != nil {
		return err
	}
	out, err := app.evaluate(ctx, spec)
	if err != nil {
		return err
	}
	if err := report.Outcome(app.Out, format, out, report.Options{Color: app.Color(), TTY: app.OutTTY, Width: app.termWidth()}); err != nil {
		return err
	}
	if format != "table" {
		report.OutcomeSummary(app.info(), out, nil)
	}
	return gate(out.Gate(opts.failOn, nil))
}
