package cli

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
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

// compare evaluates the baseline with the candidate's policy, env, time
// and shadow flag (out is the candidate's outcome) and returns the delta.
func (b *baselineFlags) compare(ctx context.Context, app *App, st *store.Store, out *run.Outcome) (*delta.Delta, error) {
	res, candInv := out.Result, delta.Inventory(out.Snapshot.Inputs)
	if b.run != "" {
		base, inv, id, err := storedBaseline(ctx, app, st, b.run)
		if err != nil {
			return nil, err
		}
		return delta.Compare(delta.Baseline{Kind: "run", Ref: id}, base, res, inv, candInv), nil
	}
	spec := run.Spec{Policy: out.Spec.Policy, Env: out.Spec.Env, At: out.At, Shadow: out.Spec.Shadow, MaxFeedAge: out.Spec.MaxFeedAge}
	bl := delta.Baseline{Kind: "snapshot", Ref: b.snapshot}
	if b.snapshot != "" {
		snap, err := app.findSnapshot(ctx, st, b.snapshot)
		if err != nil {
			return nil, err
		}
		spec.Snapshot, bl.Ref = snap, snap.ID()
	} else {
		snap, err := withSBOM(app, out.Snapshot, b.sbom)
		if err != nil {
			return nil, err
		}
		spec.Snapshot, bl = snap, delta.Baseline{Kind: "sbom", Ref: b.sbom}
	}
	bo, err := run.Evaluate(ctx, spec)
	if err != nil {
		return nil, err
	}
	return delta.Compare(bl, bo.Result, res, delta.Inventory(bo.Snapshot.Inputs), candInv), nil
}

// withSBOM is snap with its SBOMs replaced by the SBOM file path: the same
// advisories, VEX, signals, reachability and exceptions, other software.
// It is no stored snapshot, so it has no id.
func withSBOM(app *App, snap *snapshot.Snapshot, path string) (*snapshot.Snapshot, error) {
	in, err := inputs.Read(path, inputs.Options{Kind: inputs.KindSBOM})
	if err != nil {
		return nil, err
	}
	app.reportProblems("warning", in.Warnings)
	cp := *snap
	content := *snap.Inputs
	content.SBOMs = []model.SBOM{*in.SBOM}
	cp.Inputs = &content
	cp.Manifest.ID = ""
	cp.Digests.SBOMs = []snapshot.SBOMDigest{{Name: in.SBOM.Name, Digest: in.SBOM.Digest, Components: len(in.SBOM.Components)}}
	return &cp, nil
}

// storedBaseline loads a recorded run's result and component inventory
// (from the run, else from its stored snapshot; nil when neither has one).
func storedBaseline(ctx context.Context, app *App, st *store.Store, ref string) (*engine.Result, []delta.Component, string, error) {
	if st == nil {
		var err error
		if st, err = app.openStore(ctx, true); err != nil {
			return nil, nil, "", err
		}
		defer st.Close()
	}
	var res *engine.Result
	var inv []delta.Component
	var rn *store.Run
	err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveBaselineRun(ctx, ref)
		if err != nil {
			return err
		}
		if rn, err = tx.Run(ctx, id); err != nil {
			return err
		}
		if rn.Status != store.StatusSucceeded {
			return fail.New(fail.Invalid, "run %s failed; it cannot be a baseline", id)
		}
		if res, err = tx.Result(ctx, rn); err != nil {
			return err
		}
		data, err := tx.RunComponents(ctx, id)
		if err != nil || data == nil {
			return err
		}
		if err := json.Unmarshal(data, &inv); err != nil {
			return fail.New(fail.Integrity, "run %s: stored component inventory does not decode: %v", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, "", err
	}
	if inv == nil && rn.SnapshotID != "" {
		if snap, err := run.StoredSnapshot(ctx, st, rn.SnapshotID); err == nil {
			inv = delta.Inventory(snap.Inputs)
		}
	}
	if inv == nil {
		app.infof("stella: warning: run %s has no component inventory; the delta lists no component changes", rn.RunID)
	}
	return res, inv, rn.RunID, nil
}

// deltaGate is the exit of --fail-on new-blocked|new-warned against a delta.
func deltaGate(d *delta.Delta, failOn string, shadow bool) error {
	if shadow {
		return nil
	}
	switch {
	case d.Summary.NewBlocked > 0:
		return exitWith(fail.Blocked)
	case failOn == "new-warned" && d.Summary.NewWarned > 0:
		return exitWith(fail.Warned)
	}
	return nil
}

// checkBaselines validates --fail-on against the baselines given, and
// --label against --record.
func (o *policySimulateOptions) checkBaselines() error {
	n := o.base.given()
	if n > 1 || n == 1 && o.baseline != "" {
		return fail.New(fail.Invalid, "give one baseline: --baseline POLICY, --baseline-run, --baseline-snapshot or --baseline-sbom")
	}
	switch o.failOn {
	case "blocked", "warned", "never":
	case "new-blocked":
		if n == 0 && o.baseline == "" {
			return fail.New(fail.Invalid, "--fail-on new-blocked needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID, --baseline-sbom FILE or --baseline POLICY")
		}
	case "new-warned":
		if n == 0 {
			return fail.New(fail.Invalid, "--fail-on new-warned needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID or --baseline-sbom FILE")
		}
	default:
		return fail.New(fail.Invalid, "--fail-on %q: want blocked, warned, never, new-blocked or new-warned", o.failOn)
	}
	if len(o.labels) > 0 && !o.record {
		return fail.New(fail.Invalid, "--label labels a recorded run: add --record")
	}
	return checkLabels(o.labels)
}

// withDelta is the JSON form of a result with its delta: the result's
// members, then "delta" (not covered by digests.result, which is the
// evaluation's own).
func withDelta(res *engine.Result, d *delta.Delta) any {
	return struct {
		*engine.Result
		Delta *delta.Delta `json:"delta"`
	}{res, d}
}

// runDiffRuns is `policy diff RUN_A RUN_B`: the delta of RUN_B against RUN_A.
func runDiffRuns(ctx context.Context, app *App, refA, refB, failOn string) error {
	switch failOn {
	case "never", "new-blocked", "new-warned":
	default:
		return fail.New(fail.Invalid, "--fail-on %q: want new-blocked, new-warned or never", failOn)
	}
	if !fileExists(app.Global.DB) {
		return fail.New(fail.NotFound, "no run history at %s: policy diff RUN_A RUN_B compares recorded runs (to compare policies give --snapshot ID)", app.Global.DB)
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	base, baseInv, idA, err := storedBaseline(ctx, app, st, refA)
	if err != nil {
		return err
	}
	cand, candInv, _, err := storedBaseline(ctx, app, st, refB)
	if err != nil {
		return err
	}
	d := delta.Compare(delta.Baseline{Kind: "run", Ref: idA}, base, cand, baseInv, candInv)
	if err := app.render(d, func(w io.Writer) error { return report.DeltaTable(w, d, report.Options{Color: app.Color()}) }); err != nil {
		return err
	}
	if app.Format() != "table" {
		app.infof("stella: %s", report.DeltaSummary(d))
	}
	if failOn == "never" {
		return nil
	}
	return deltaGate(d, failOn, cand.Shadow)
}

// isRunRef tells a run reference (run:…, latest, latest:LABEL) from a
// policy file or P-n.
func isRunRef(ref string) bool {
	return ref == "latest" || strings.HasPrefix(ref, "latest:") || strings.HasPrefix(ref, "run:")
}
