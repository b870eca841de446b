package cli

import (
	"context"
	"io"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

// Baselines of a build (docs/runs.md "Labels and baselines"): the same
// policy on an earlier recorded run, an earlier snapshot, or an earlier SBOM
// evaluated with this build's advisories, VEX, signals and time; the delta
// (internal/delta) and the gate on what is new (run.Baselines).

// addBaselineFlags registers --baseline-run, --baseline-snapshot and
// --baseline-sbom.
func addBaselineFlags(f *pflag.FlagSet, b *run.Baselines) {
	f.StringVar(&b.Run, "baseline-run", "", "compare with a recorded run: its id, a unique prefix, latest, or latest:LABEL (the run most recently recorded with --label LABEL)")
	f.StringVar(&b.Snapshot, "baseline-snapshot", "", "compare with the same policy on this snapshot (id, prefix or directory), at the same evaluation time")
	f.StringVar(&b.SBOM, "baseline-sbom", "", "compare with the same policy on this SBOM, evaluated with this build's advisories, VEX, signals, env and time")
}

// addLabelFlag registers --label on a command that records runs.
func addLabelFlag(f *pflag.FlagSet, labels *[]string) {
	f.StringArrayVar(labels, "label", nil, "label the recorded run (repeatable), e.g. main or release/1.4, for --baseline-run latest:LABEL")
}

// runDiffRuns is `policy diff RUN_A RUN_B`: the delta of RUN_B against RUN_A.
func runDiffRuns(ctx context.Context, app *App, req *run.DiffRequest) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := run.DiffRuns(ctx, st, req.Old, req.New)
	report.Compared(app.info(), c)
	if err != nil {
		return err
	}
	d := c.Delta
	if err := app.render(d, func(w io.Writer) error { return report.DeltaTable(w, d, report.Options{Color: app.Color()}) }); err != nil {
		return err
	}
	if app.Format() != "table" {
		app.infof("stella: %s", report.DeltaSummary(d))
	}
	return gate(c.Gate(req.FailOn))
}
