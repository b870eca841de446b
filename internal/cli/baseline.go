package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// Baselines of a build (docs/runs.md "Labels and baselines"): the same
// policy on an earlier recorded run, an earlier snapshot, or an earlier SBOM
// evaluated with this build's advisories, VEX, signals and time; the delta
// (internal/delta) and the gate on what is new.

// baselineFlags are --baseline-run, --baseline-snapshot and --baseline-sbom.
type baselineFlags struct {
	run, snapshot, sbom string
}

func (b *baselineFlags) register(f *pflag.FlagSet) {
	f.StringVar(&b.run, "baseline-run", "", "compare with a recorded run: its id, a unique prefix, latest, or latest:LABEL (the run most recently recorded with --label LABEL)")
	f.StringVar(&b.snapshot, "baseline-snapshot", "", "compare with the same policy on this snapshot (id, prefix or directory), at the same evaluation time")
	f.StringVar(&b.sbom, "baseline-sbom", "", "compare with the same policy on this SBOM, evaluated with this build's advisories, VEX, signals, env and time")
}

// given reports how many baselines are given.
func (b *baselineFlags) given() int {
	n := 0
	for _, s := range []string{b.run, b.snapshot, b.sbom} {
		if s != "" {
			n++
		}
	}
	return n
}

// addLabelFlag registers --label on a command that records runs.
func addLabelFlag(f *pflag.FlagSet, labels *[]string) {
	f.StringArrayVar(labels, "label", nil, "label the recorded run (repeatable), e.g. main or release/1.4, for --baseline-run latest:LABEL")
}

// checkLabels validates --label values.
func checkLabels(labels []string) error {
	for _, l := range labels {
		if err := store.ValidLabel(l); err != nil {
			return err
		}
	}
	return nil
}

// prepare makes the baseline given ready for the evaluation (run.Prepare:
// spec.Against); st is open when --baseline-run is given. The delta is
// computed by the evaluation, so that the policy's new_findings_only gate
// sees the baseline too (docs/dsl.md "Gates").
func (b *baselineFlags) prepare(ctx context.Context, app *App, st *store.Store) (*run.Against, error) {
	bl := run.Baseline{Run: b.run, SBOM: b.sbom}
	if b.snapshot != "" {
		var err error
		if bl.Snapshot, err = app.findSnapshot(ctx, st, b.snapshot); err != nil {
			return nil, err
		}
	}
	a, err := run.Prepare(ctx, st, bl)
	if b.run != "" && fail.Is(err, fail.NotFound) {
		err = fail.New(fail.NotFound, "%v; %s", err, recordFirst(b.run))
	}
	return a, err
}

// recordFirst is how to record the baseline a pipeline's first build
// compares with (docs/runs.md "Labels and baselines").
func recordFirst(ref string) string {
	label := "main"
	if l, ok := strings.CutPrefix(ref, "latest:"); ok {
		label = l
	}
	return "record the baseline build first, e.g. stella policy simulate POLICY --sbom FILE … --record --label " + label
}

// noHistory refuses --baseline-run before anything was recorded, saying
// how to record the baseline instead of naming a missing database.
func (b *baselineFlags) noHistory(app *App, record bool) error {
	if b.run == "" || record || fileExists(app.Global.DB) {
		return nil
	}
	return fail.New(fail.NotFound, "--baseline-run %s: no run history at %s yet: %s", b.run, app.Global.DB, recordFirst(b.run))
}

// checkBaselines validates --fail-on against the baselines given, and
// --label against --record.
func (o *policySimulateOptions) checkBaselines() error {
	n := o.base.given()
	if n > 1 || n == 1 && o.baseline != "" {
		return fail.New(fail.Invalid, "give one baseline: --baseline POLICY, --baseline-run, --baseline-snapshot or --baseline-sbom")
	}
	switch err := run.CheckFailOn(o.failOn, "blocked", "warned", "never", "new-blocked", "new-warned"); {
	case err != nil:
		return err
	case o.failOn == "new-blocked" && n == 0 && o.baseline == "":
		return fail.New(fail.Invalid, "--fail-on new-blocked needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID, --baseline-sbom FILE or --baseline POLICY")
	case o.failOn == "new-warned" && n == 0:
		return fail.New(fail.Invalid, "--fail-on new-warned needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID or --baseline-sbom FILE")
	}
	if len(o.labels) > 0 && !o.record {
		return fail.New(fail.Invalid, "--label labels a recorded run: add --record")
	}
	return checkLabels(o.labels)
}

// runDiffRuns is `policy diff RUN_A RUN_B`: the delta of RUN_B against RUN_A.
func runDiffRuns(ctx context.Context, app *App, refA, refB, failOn string) error {
	if err := run.CheckFailOn(failOn, "new-blocked", "new-warned", "never"); err != nil {
		return err
	}
	if !fileExists(app.Global.DB) {
		return fail.New(fail.NotFound, "no run history at %s: policy diff RUN_A RUN_B compares recorded runs (to compare policies give --snapshot ID)", app.Global.DB)
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := run.DiffRuns(ctx, st, refA, refB)
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
	if failOn == "never" {
		return nil
	}
	return gate(c.Gate(failOn))
}
