package run

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// Baselines of a build (docs/runs.md "Labels and baselines"): the same
// policy on an earlier recorded run, an earlier snapshot, or an earlier SBOM
// evaluated with this build's advisories, VEX, signals and time; the delta
// (internal/delta) and the gate on what is new.

// Baseline is what a build is compared with: one of a recorded run, a
// snapshot or an SBOM file.
type Baseline struct {
	Run      string             // a recorded run: its id, a unique prefix, latest or latest:LABEL
	Snapshot *snapshot.Snapshot // an earlier snapshot, evaluated at the candidate's time
	SBOM     string             // an SBOM file, evaluated with the candidate's other inputs
}

// Compared is a delta against a baseline and what the user should hear
// about it.
type Compared struct {
	Delta    *delta.Delta
	Shadow   bool             // the candidate is a shadow run: its gate never fails
	Problems []inputs.Problem // the warnings of reading the baseline SBOM
	Warnings []string         // recorded runs with no component inventory
}

// Against is a baseline made ready for Evaluate (Spec.Against): a recorded
// run loaded, an SBOM read. Evaluate evaluates a snapshot or SBOM baseline
// with the candidate's policy, env and time before the candidate, carries
// the baseline's verdicts to the candidate's findings for its
// new_findings_only gate (docs/dsl.md "Gates"), and compares the two
// (Compared).
type Against struct {
	b    Baseline
	rec  *recordedRun // b.Run
	sbom *model.SBOM  // b.SBOM
	c    *Compared
	base *engine.Result    // the baseline's result, once Evaluate has it
	inv  []delta.Component // and its component inventory
}

// Prepare loads the recorded run of b (st is open when b.Run is set) or
// reads b's SBOM. The Against is non-nil, with the warnings so far, even
// on error.
func Prepare(ctx context.Context, st *store.Store, b Baseline) (*Against, error) {
	a := &Against{b: b, c: &Compared{}}
	switch {
	case b.Run != "":
		rec, err := storedBaseline(ctx, st, b.Run, a.c)
		if err != nil {
			return a, err
		}
		a.rec, a.base, a.inv = rec, rec.res, rec.inv
	case b.Snapshot == nil:
		in, err := inputs.Read(b.SBOM, inputs.Options{Kind: inputs.KindSBOM})
		if err != nil {
			return a, err
		}
		a.c.Problems, a.sbom = in.Warnings, in.SBOM
	}
	return a, nil
}

// Compared is the delta of the candidate against a, once Evaluate has
// compared them, and the warnings of loading a (also before, and on
// error); nil for no baseline (a nil a).
func (a *Against) Compared() *Compared {
	if a == nil {
		return nil
	}
	return a.c
}

// evaluate gets the baseline's result for the candidate out, joined and
// to be evaluated at at: a recorded run's stored result, or the
// candidate's policy, env, time and shadow flag evaluated on the baseline's
// inputs. It returns what the candidate's new_findings_only gate compares
// with (carried).
func (a *Against) evaluate(ctx context.Context, out *Outcome, at time.Time) (*engine.Result, error) {
	if a.base == nil {
		spec := Spec{Policy: out.Spec.Policy, Env: out.Spec.Env, At: at, Shadow: out.Spec.Shadow, MaxFeedAge: out.Spec.MaxFeedAge,
			MaxFeedAgeGiven: out.Spec.MaxFeedAgeGiven, UncheckedBudget: out.Spec.UncheckedBudget, Snapshot: a.b.Snapshot}
		if a.sbom != nil {
			var err error
			if spec.Snapshot, err = withSBOM(out.Snapshot, a.sbom); err != nil {
				return nil, err
			}
		}
		bo, err := Evaluate(ctx, spec)
		if err != nil {
			return nil, err
		}
		a.base, a.inv = bo.Result, delta.Inventory(bo.Snapshot.Inputs)
	}
	return carried(a.base, out.Match), nil
}

// compare sets the delta of the candidate's result res, evaluated on
// inputs, against the baseline.
func (a *Against) compare(res *engine.Result, in *model.Inputs) {
	bl := delta.Baseline{Kind: "sbom", Ref: a.b.SBOM}
	switch {
	case a.rec != nil:
		bl = delta.Baseline{Kind: "run", Ref: a.rec.runID}
	case a.b.Snapshot != nil:
		bl = delta.Baseline{Kind: "snapshot", Ref: a.b.Snapshot.ID()}
	}
	a.c.Shadow = res.Shadow
	a.c.Delta = delta.Compare(bl, a.base, res, a.inv, delta.Inventory(in))
}

// recordedBaseline is the baseline a recorded run's new_findings_only gate
// compared with, as far as the record keeps it (Replay): the stored
// result's blocked findings that its gate did not count as new. The
// baseline itself is not recorded; this is what the gate's verdict
// depended on. nil when the run has no such gate.
func recordedBaseline(stored *engine.Result) *Against {
	known, ok := stored.BaselineBlocked()
	if !ok {
		return nil
	}
	base := &engine.Result{}
	for _, f := range stored.Findings {
		if known[f.FindingID] {
			base.Findings = append(base.Findings, f)
		}
	}
	return &Against{base: base, c: &Compared{}}
}

// newFindingsOnly reports whether p sets settings new_findings_only (to
// true or to anything the engine will read; Replay loads the stored
// result for it).
func newFindingsOnly(p *Policy) bool {
	_, ok := p.Policy.Settings.Get("new_findings_only")
	return ok
}

// carried is base's blocked verdicts carried to the candidate's findings —
// the pairs of the join m — for the engine's new_findings_only gate
// (engine.Request.Baseline matches by finding id): a finding the delta
// pairs with a baseline finding that was blocked, by the identity that
// survives version bumps (delta.Compare), counts as blocked in the
// baseline. The pairs are given the identity the engine gives their
// findings, in the engine's order, so the gate and the delta pair alike.
func carried(base *engine.Result, m *match.Result) *engine.Result {
	cand := &engine.Result{Findings: make([]engine.Finding, len(m.Pairs))}
	for i, p := range m.Pairs {
		c, adv := p.Component, p.Advisory
		name := c.Package
		if name == "" {
			name = c.Name
		}
		cand.Findings[i] = engine.Finding{FindingID: engine.FindingID(c.SBOM, c.Ref, c.Purl, adv.ID), Purl: c.Purl,
			Ecosystem: c.Ecosystem, Name: name, AdvisoryID: adv.ID, Aliases: p.Aliases}
	}
	slices.SortFunc(cand.Findings, func(x, y engine.Finding) int { return strings.Compare(x.FindingID, y.FindingID) })
	known := &engine.Result{}
	for _, ch := range delta.Compare(delta.Baseline{}, base, cand, nil, nil).Findings {
		if ch.FindingID != "" && ch.OldVerdict == engine.VerdictBlocked {
			known.Findings = append(known.Findings, engine.Finding{FindingID: ch.FindingID, Verdict: engine.VerdictBlocked})
		}
	}
	return known
}

// withSBOM is snap with its SBOMs replaced by sbom: the same advisories,
// VEX, signals, reachability and exceptions, other software. It is no
// stored snapshot, so it has no id. The candidate's advisories may be only
// those its own SBOMs can match (Index.Select), so they are selected again
// for sbom: a package the candidate dropped keeps its baseline findings,
// which the delta then reports fixed.
func withSBOM(snap *snapshot.Snapshot, sbom *model.SBOM) (*snapshot.Snapshot, error) {
	cp := *snap
	content := *snap.Inputs
	content.SBOMs = []model.SBOM{*sbom}
	if snap.Index != nil {
		advs, err := snap.Index.Select(content.SBOMs)
		if err != nil {
			return nil, err
		}
		content.Advisories = advs
	}
	cp.Inputs = &content
	cp.Manifest.ID = ""
	cp.Digests.SBOMs = []snapshot.SBOMDigest{{Name: sbom.Name, Digest: sbom.Digest, Components: len(sbom.Components)}}
	return &cp, nil
}

// DiffRuns is the delta of the recorded run b against the recorded run a
// (`policy diff RUN_A RUN_B`, docs/runs.md "Diff"). Compared is non-nil,
// with the warnings so far, even on error.
func DiffRuns(ctx context.Context, st *store.Store, a, b string) (*Compared, error) {
	c := &Compared{}
	base, err := storedBaseline(ctx, st, a, c)
	if err != nil {
		return c, err
	}
	cand, err := storedBaseline(ctx, st, b, c)
	if err != nil {
		return c, err
	}
	c.Delta = delta.Compare(delta.Baseline{Kind: "run", Ref: base.runID}, base.res, cand.res, base.inv, cand.inv)
	c.Shadow = cand.res.Shadow
	return c, nil
}

// IsRunRef tells a run reference (run:…, latest, latest:LABEL) from a
// policy file or P-n.
func IsRunRef(ref string) bool {
	return ref == "latest" || strings.HasPrefix(ref, "latest:") || strings.HasPrefix(ref, "run:")
}

// recordedRun is a recorded run's result and component inventory.
type recordedRun struct {
	res   *engine.Result
	inv   []delta.Component
	runID string
}

// storedBaseline loads a recorded run's result and component inventory
// (from the run, else from its stored snapshot; nil when neither has one,
// with a warning in c).
func storedBaseline(ctx context.Context, st *store.Store, ref string, c *Compared) (*recordedRun, error) {
	var rr recordedRun
	var rn *store.Run
	fromSnapshot, why := false, "" // the inventory comes from the run's stored snapshot; why there is none
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
		if rr.res, err = tx.Result(ctx, rn); err != nil {
			return err
		}
		data, err := tx.RunComponents(ctx, id)
		if err != nil {
			return err
		}
		if data == nil {
			if rn.SnapshotID == "" {
				return nil
			}
			_, err := tx.ResolveSnapshot(ctx, rn.SnapshotID)
			if fail.Is(err, fail.NotFound) {
				// Never imported here, or pruned: the delta goes on
				// without component changes and says why.
				why = " and its snapshot " + rn.SnapshotID + " is not in this store"
				return nil
			}
			fromSnapshot = err == nil
			return err
		}
		if err := json.Unmarshal(data, &rr.inv); err != nil {
			return fail.New(fail.Integrity, "run %s: stored component inventory does not decode: %v", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fromSnapshot {
		snap, err := StoredSnapshot(ctx, st, rn.SnapshotID)
		if err != nil {
			return nil, fmt.Errorf("baseline run %s: %w", rn.RunID, err)
		}
		rr.inv = delta.Inventory(snap.Inputs)
	}
	if rr.inv == nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("run %s has no component inventory%s; the delta lists no component changes", rn.RunID, why))
	}
	rr.runID = rn.RunID
	return &rr, nil
}

// Gate is the exit kind of a verdict under --fail-on blocked|warned|never
// (docs/exit-codes.md): 0 when the gate passes, fail.Blocked or
// fail.Warned. A shadow run never fails it.
func Gate(verdict, failOn string, shadow bool) fail.Kind {
	if shadow || failOn == "never" {
		return 0
	}
	switch {
	case verdict == engine.VerdictBlocked:
		return fail.Blocked
	case verdict == engine.VerdictWarned && failOn == "warned":
		return fail.Warned
	}
	return 0
}

// Gate is the exit kind of --fail-on new-blocked|new-warned|never against
// the delta: fail.Blocked when a finding or a run-level gate is newly
// blocked, fail.Warned (with new-warned) when one is newly warned, else 0.
func (c *Compared) Gate(failOn string) fail.Kind {
	if c.Shadow || failOn == "never" {
		return 0
	}
	s := &c.Delta.Summary
	switch {
	case s.NewBlocked > 0 || len(s.GatesNewlyBlocking) > 0:
		return fail.Blocked
	case failOn == "new-warned" && (s.NewWarned > 0 || len(s.GatesNewlyWarning) > 0):
		return fail.Warned
	}
	return 0
}

// Gate is the exit kind of a simulation under --fail-on: against the delta
// c (new-blocked, new-warned), against the baseline policy (new-blocked:
// a finding or a run-level gate the candidate blocks and the baseline did
// not), else the verdict's (Gate).
func (o *Outcome) Gate(failOn string, c *Compared) fail.Kind {
	res := o.Result
	if c != nil && (failOn == "new-blocked" || failOn == "new-warned") {
		return c.Gate(failOn)
	}
	if failOn == "new-blocked" {
		if gates, _ := delta.NewGates(o.Baseline, res); res.Shadow || (o.Diff.Summary.NewBlocked == 0 && len(gates) == 0) {
			return 0
		}
		return fail.Blocked
	}
	return Gate(res.Verdict, failOn, res.Shadow)
}
