package run

import (
	"context"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// SimulateRequest is what `policy simulate` is asked beside its inputs and
// evaluation options: the policy or set, what it is compared with, the
// gate, and whether the simulation is recorded (docs/runs.md, docs/ci.md).
type SimulateRequest struct {
	Policy   string    // POLICY: a .stella file or P-n[@version]; "" with Set
	Set      string    // --set active|P-1,P-4 (docs/governance.md "Evaluating a set")
	Baseline string    // --baseline POLICY
	Against  Baselines // --baseline-run, --baseline-snapshot, --baseline-sbom
	FailOn   string    // --fail-on
	ExpectIR string    // --expect-ir-digest
	Labels   []string  // --label
	Record   bool      // --record
}

// Baselines are the recorded run, snapshot (id, prefix or directory) and
// SBOM file a build may be compared with (docs/runs.md "Labels and
// baselines"): at most one is given.
type Baselines struct {
	Run, Snapshot, SBOM string
}

// Given reports how many baselines are given.
func (b Baselines) Given() int {
	n := 0
	for _, s := range []string{b.Run, b.Snapshot, b.SBOM} {
		if s != "" {
			n++
		}
	}
	return n
}

// Check refuses the combinations a simulation does not take: POLICY and
// --set together or neither, baselines or --expect-ir-digest with --set,
// more than one baseline, a --fail-on the baselines given do not support,
// --label without --record or a label that is no label.
func (r *SimulateRequest) Check() error {
	if r.Set == "" {
		if r.Policy == "" {
			return fail.New(fail.Invalid, "give POLICY (a .stella file or P-n[@version]), or --set")
		}
		return r.checkBaselines()
	}
	switch {
	case r.Policy != "":
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case r.Baseline != "" || r.Against.Given() > 0 || strings.HasPrefix(r.FailOn, "new-"):
		return fail.New(fail.Invalid, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set")
	case r.ExpectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	if err := CheckFailOn(r.FailOn, "blocked", "warned", "never"); err != nil {
		return err
	}
	return r.checkBaselines() // --label
}

// checkBaselines validates --fail-on against the baselines given, and
// --label against --record.
func (r *SimulateRequest) checkBaselines() error {
	n := r.Against.Given()
	if n > 1 || n == 1 && r.Baseline != "" {
		return fail.New(fail.Invalid, "give one baseline: --baseline POLICY, --baseline-run, --baseline-snapshot or --baseline-sbom")
	}
	switch err := CheckFailOn(r.FailOn, "blocked", "warned", "never", "new-blocked", "new-warned"); {
	case err != nil:
		return err
	case r.FailOn == "new-blocked" && n == 0 && r.Baseline == "":
		return fail.New(fail.Invalid, "--fail-on new-blocked needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID, --baseline-sbom FILE or --baseline POLICY")
	case r.FailOn == "new-warned" && n == 0:
		return fail.New(fail.Invalid, "--fail-on new-warned needs a baseline: --baseline-run RUN|latest[:LABEL], --baseline-snapshot ID or --baseline-sbom FILE")
	}
	if len(r.Labels) > 0 && !r.Record {
		return fail.New(fail.Invalid, "--label labels a recorded run: add --record")
	}
	return store.ValidLabels(r.Labels)
}

// Store says whether the simulation needs the database db: to record, to
// load a registered policy or baseline policy, or a baseline run. Before
// anything was recorded a --baseline-run is refused here, saying how to
// record the baseline instead of naming a missing database.
func (r *SimulateRequest) Store(db string) (bool, error) {
	if r.Against.Run != "" && !r.Record && !fileExists(db) {
		return false, fail.New(fail.NotFound, "--baseline-run %s: no run history at %s yet: %s", r.Against.Run, db, recordFirst(r.Against.Run))
	}
	return r.Record || r.Set == "" && (IsRegistered(r.Policy) || IsRegistered(r.Baseline) || r.Against.Run != ""), nil
}

// Prepare makes the baseline given ready for the evaluation (Spec.Against;
// Prepare): st is open when Run is given, Snapshot is found in snaps. The delta is
// computed by the evaluation, so that the policy's new_findings_only gate
// sees the baseline too (docs/dsl.md "Gates"). A baseline run not found
// says how to record it. With no baseline given it returns nil.
func (b Baselines) Prepare(ctx context.Context, st *store.Store, snaps Snapshots) (*Against, error) {
	if b.Given() == 0 {
		return nil, nil
	}
	bl := Baseline{Run: b.Run, SBOM: b.SBOM}
	if b.Snapshot != "" {
		var err error
		if bl.Snapshot, err = snaps.Find(ctx, st, b.Snapshot); err != nil {
			return nil, err
		}
	}
	a, err := Prepare(ctx, st, bl)
	if b.Run != "" && fail.Is(err, fail.NotFound) {
		err = fail.New(fail.NotFound, "%v; %s", err, recordFirst(b.Run))
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
