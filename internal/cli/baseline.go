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
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/report"
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

// inventoryJSON is the stored form of a component inventory.
func inventoryJSON(in *snapshot.Snapshot) []byte {
	b, _ := json.Marshal(delta.Inventory(in.Inputs))
	return b
}

// compare evaluates the baseline (req is the candidate's request; its
// policy, env, time and shadow are kept) and returns the delta.
func (b *baselineFlags) compare(ctx context.Context, app *App, st *store.Store, req engine.Request, snap *snapshot.Snapshot, res *engine.Result) (*delta.Delta, error) {
	candInv := delta.Inventory(snap.Inputs)
	switch {
	case b.run != "":
		base, inv, id, err := storedBaseline(ctx, app, st, b.run)
		if err != nil {
			return nil, err
		}
		return delta.Compare(delta.Baseline{Kind: "run", Ref: id}, base, res, inv, candInv), nil
	case b.snapshot != "":
		bs, err := (&policySimulateOptions{snapshot: b.snapshot}).inputs(ctx, app, st)
		if err != nil {
			return nil, err
		}
		base, err := evaluateBaseline(ctx, req, bs.Inputs, snapshotRef(bs), bs.ID())
		if err != nil {
			return nil, err
		}
		return delta.Compare(delta.Baseline{Kind: "snapshot", Ref: bs.ID()}, base, res, delta.Inventory(bs.Inputs), candInv), nil
	}
	in, err := inputs.Read(b.sbom, inputs.Options{Kind: inputs.KindSBOM})
	if err != nil {
		return nil, err
	}
	app.reportProblems("warning", in.Warnings)
	bin := *snap.Inputs
	bin.SBOMs = []model.SBOM{*in.SBOM}
	ref := *snapshotRef(snap)
	ref.SnapshotID = ""
	ref.SBOMs = []engine.SBOMRef{{Name: in.SBOM.Name, Digest: in.SBOM.Digest, Components: len(in.SBOM.Components)}}
	base, err := evaluateBaseline(ctx, req, &bin, &ref, "")
	if err != nil {
		return nil, err
	}
	return delta.Compare(delta.Baseline{Kind: "sbom", Ref: b.sbom}, base, res, delta.Inventory(&bin), candInv), nil
}

// evaluateBaseline evaluates the candidate's policy on other inputs.
func evaluateBaseline(ctx context.Context, req engine.Request, in *model.Inputs, ref *engine.InputsRef, snapshotID string) (*engine.Result, error) {
	m, err := match.Join(in, match.Options{})
	if err != nil {
		return nil, err
	}
	req.Inputs, req.Match, req.InputDigests, req.SnapshotID, req.Baseline = in, m, ref, snapshotID, nil
	return engine.Evaluate(ctx, req)
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
	var run *store.Run
	err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveBaselineRun(ctx, ref)
		if err != nil {
			return err
		}
		if run, err = tx.Run(ctx, id); err != nil {
			return err
		}
		if run.Status != store.StatusSucceeded {
			return fail.New(fail.Invalid, "run %s failed; it cannot be a baseline", id)
		}
		if res, err = tx.Result(ctx, run); err != nil {
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
	if inv == nil && run.SnapshotID != "" {
		if snap, err := loadStoredSnapshot(ctx, st, run.SnapshotID); err == nil {
			inv = delta.Inventory(snap.Inputs)
		}
	}
	if inv == nil {
		app.infof("stella: warning: run %s has no component inventory; the delta lists no component changes", run.RunID)
	}
	return res, inv, run.RunID, nil
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
