package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyDiffOptions struct {
	req  run.DiffRequest // OLD NEW, --snapshot, --fail-on
	eval evalFlags
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
	f.StringVar(&opts.req.Snapshot, "snapshot", "", "the snapshot both policies are evaluated on")
	opts.eval.register(f)
	f.StringVar(&opts.req.FailOn, "fail-on", "never", "exit 20 on: new-blocked, or never; between runs also new-warned")
	return cmd
}

func runPolicyDiff(ctx context.Context, app *App, opts *policyDiffOptions, args []string) error {
	req := &opts.req
	req.Old, req.New = args[0], args[1]
	open, err := req.Check(app.Global.DB)
	if err != nil {
		return err
	}
	if req.Runs() {
		return runDiffRuns(ctx, app, req)
	}
	format := app.Format()
	if err := report.OutcomeFormat(format, true); err != nil {
		return err
	}
	spec, err := opts.eval.spec(app.Getenv)
	if err != nil {
		return err
	}
	var st *store.Store
	if open {
		if st, err = app.openStore(ctx, true); err != nil {
			return err
		}
		defer st.Close()
	}
	if spec.Baseline, err = app.loadPolicy(ctx, st, req.Old, store.PickLatest); err != nil {
		return err
	}
	if spec.Policy, err = app.loadPolicy(ctx, st, req.New, store.PickLatest); err != nil {
		return err
	}
	if spec.Snapshot, err = app.snapshots("").Find(ctx, st, req.Snapshot); err != nil {
		return err
	}
	out, err := app.evaluate(ctx, spec)
	if err != nil {
		return err
	}
	if err := report.Simulated(app.Out, app.info(), format, out, nil, "", 0, report.Options{Color: app.Color(), TTY: app.OutTTY, Width: app.termWidth()}); err != nil {
		return err
	}
	return gate(out.Gate(req.FailOn, nil))
}
