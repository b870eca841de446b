package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

type policyRunOptions struct {
	snapshot    string
	env         []string
	asOf        string
	shadow      bool
	sign        signFlags
	attestation string
	failOn      string
	timestamps  bool
	loose       map[string]*[]string // --sbom, --advisories, …: refused
	bundle      bundleRunFlags       // --bundle KIT and its verification (bundle_run.go)
	labels      []string             // --label (baseline.go)
}

// looseCursors maps each loose-input flag to the input cursor a frozen run
// needs instead (seed 002 §3, §6).
var looseCursors = []struct{ flag, cursor string }{
	{"sbom", "sbom_digest"},
	{"advisories", "advisory_snapshot"},
	{"vex", "vex_set"},
	{"reachability", "reachability_hash"},
	{"epss", "signals_digest"},
	{"kev", "signals_digest"},
	{"exceptions", "exceptions_digest"},
}

func newPolicyRunCmd(app *App) *cobra.Command {
	opts := &policyRunOptions{loose: map[string]*[]string{}}
	cmd := &cobra.Command{
		Use:   "run POLICY --snapshot ID | run [POLICY] --sealed --bundle KIT [--env k=v…] [--as-of TS] [--shadow] [--sign-key K] [--attestation FILE]",
		Short: "Evaluate a policy on a stored snapshot; record, sign and keep the run",
		Long: `Evaluate POLICY — a policy file, or a registered P-n[@version] (latest
version when none is given) — on a snapshot imported into the database, and
record the run: the run record, every finding and explain trace, and the
audit events policy.run.started / completed / failed, in one transaction.

The run is attested by a policy.run@1 in-toto statement (subjects: the
findings and explain traces; predicate: the run record) in a DSSE envelope
signed with --sign-key (a private key file, or the name of a key made with
stella key generate; config signing.key). --attestation also writes it to a
file. Without a key the run is recorded unsigned, with a warning.

When a trust config is in force (--trust, else found as the governance
commands find it: config trust_file, ./trust.yaml, …), a run is an action
of the key that signs it (--sign-key, config signing.key, else config key):
that key must be trusted and hold policy:run, or the run is refused with
exit 3 naming the missing scope — an unsigned run too. Without a trust
config (single-user local use) runs are not gated.

Runs only ever see frozen inputs: loose --sbom/--advisories/--vex/… files are
refused with exit 7 (inputs_unfrozen), naming the missing input cursors.
--as-of defaults to the newest timestamp among the snapshot's inputs, never
the wall clock. --shadow records findings with enforced=false and never
fails the gate.

With --bundle KIT (an offline bundle, docs/bundle.md) the bundle is verified
against --trust-root keys and --time-anchor and imported first (unless it
already was); POLICY (P-n or P-n@v) and --snapshot then choose among the
bundle's own policy versions and snapshots, and may be left out when it
holds one of each. With --sealed nothing may use the network.

Exit codes as policy simulate: 0 passed (or warned), 20 blocked, 21 warned
with --fail-on warned, 2 invalid policy or input, 3 refused (missing scope
policy:run under a trust config), 4 unknown snapshot or policy, 7 inputs
unfrozen; with --bundle, 6 for a bundle that fails verification.`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			return runPolicyRun(cmd.Context(), app, ref, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.snapshot, "snapshot", "", "a snapshot imported with stella snapshot import: its id, a unique prefix, or its directory")
	f.StringArrayVar(&opts.env, "env", nil, "environment value k=v for env.* (repeatable)")
	f.StringVar(&opts.asOf, "as-of", "", "evaluation time, RFC 3339 (default: the newest timestamp among the inputs)")
	f.BoolVar(&opts.shadow, "shadow", false, "shadow run: record findings with enforced=false, never fail the gate")
	opts.sign.add(f, "private key file or generated key name to sign the run manifest")
	f.StringVar(&opts.attestation, "attestation", "", "also write the signed policy.run@1 envelope to this file")
	f.StringVar(&opts.failOn, "fail-on", "blocked", "exit non-zero on: blocked, warned or never")
	f.BoolVar(&opts.timestamps, "timestamps", false, "put the wall-clock start and end times into the signed record")
	opts.bundle.register(f)
	addLabelFlag(f, &opts.labels)
	f.Lookup("trust").Usage = "trust config in force: the signing key must hold policy:run in it; a bundle's approvals are re-verified against it (default: as the governance commands find it)"
	for _, l := range looseCursors {
		if _, ok := opts.loose[l.flag]; ok {
			continue
		}
		v := new([]string)
		opts.loose[l.flag] = v
		f.StringArrayVar(v, l.flag, nil, "refused: runs need frozen inputs (use snapshot create + import, then --snapshot)")
		f.Lookup(l.flag).Hidden = true
	}
	return cmd
}

func runPolicyRun(ctx context.Context, app *App, policyRef string, opts *policyRunOptions) error {
	started := time.Now()
	if err := opts.refuseLoose(ctx, app); err != nil {
		return err
	}
	if err := checkLabels(opts.labels); err != nil {
		return err
	}
	if opts.bundle.path == "" && policyRef == "" {
		return fail.New(fail.Invalid, "policy run needs POLICY (or --bundle KIT)")
	}
	switch opts.failOn {
	case "blocked", "warned", "never":
	default:
		return fail.New(fail.Invalid, "--fail-on %q: want blocked, warned or never", opts.failOn)
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
	// Under a trust config the signing key acts: it must hold policy:run,
	// checked before anything (a bundle import, the run) changes state.
	act, err := app.authorizeRun(opts.bundle.trust, &opts.sign, governance.ScopePolicyRun)
	if err != nil {
		return err
	}
	key := act.Key
	if opts.bundle.path != "" {
		if policyRef, opts.snapshot, err = opts.bundle.prepare(ctx, app, policyRef, opts.snapshot); err != nil {
			return err
		}
	}
	if opts.snapshot == "" {
		return app.inputsUnfrozen(ctx, "no --snapshot given", []string{"snapshot_id"})
	}

	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	pol, err := app.loadPolicy(ctx, st, policyRef)
	if err != nil {
		return err
	}
	snap, err := loadStoredSnapshot(ctx, st, opts.snapshot)
	if err != nil {
		return err
	}
	if at.IsZero() {
		if at, err = defaultEvaluationTime(snap.Inputs); err != nil {
			return err
		}
		app.infof("stella: evaluation time %s (the newest timestamp among the inputs; set it with --as-of)", at.Format(time.RFC3339))
	}

	meta := store.RunMeta{Mode: store.ModeRun, PolicyID: pol.ID, PolicyVersion: pol.Version, IR: pol.IR, SourceMap: pol.SourceMapJSON,
		SnapshotID: snap.ID(), Shadow: opts.shadow, Env: env, EvaluationTime: at.Format(time.RFC3339Nano), StartedAt: started,
		WithTiming: opts.timestamps, Actor: act.Principal}
	res, evalErr := evaluateSnapshot(ctx, pol, snap, env, at, opts.shadow)
	if evalErr != nil && !isEvalFailure(evalErr) {
		return evalErr
	}
	meta.CompletedAt = time.Now()
	if res != nil {
		// The engine normalizes env, and settings.shadow in the policy
		// makes a run shadow without --shadow.
		meta.Env, meta.Shadow = res.Env, res.Shadow
	}
	out, err := app.recordRun(ctx, st, recordOptions{Meta: meta, Result: res, EvalErr: evalErr, SignKey: key, Attestation: opts.attestation,
		Labels: opts.labels, Components: inventoryJSON(snap)})
	if err != nil {
		return err
	}
	rec := out.Record
	app.Log.Info("policy run", "runId", rec.RunID, "policyId", rec.Policy.PolicyID, "version", rec.Policy.Version,
		"irDigest", rec.Policy.IRDigest, "tenant", st.Tenant(), "shadow", rec.Shadow, "snapshotId", rec.Inputs.SnapshotID,
		"inputsHash", rec.Inputs.InputsHash, "sbomDigests", sbomDigests(rec), "advisoriesDigest", rec.Inputs.Advisories,
		"vexDigest", rec.Inputs.VEX, "status", rec.Status, "verdict", rec.Verdict, "signed", out.Envelope != nil,
		"durationMs", meta.CompletedAt.Sub(started).Milliseconds())
	if evalErr != nil {
		return fail.New(fail.KindOf(evalErr), "run %s failed: %v", rec.RunID, evalErr)
	}
	if key == nil {
		app.infof("stella: warning: run %s is not signed (give --sign-key or set signing.key)", rec.RunID)
	}
	if err := app.render(runSummary(out), func(w io.Writer) error { return app.runSummaryTable(w, out) }); err != nil {
		return err
	}
	return gateExit(res.Verdict, opts.failOn, res.Shadow)
}

// refuseLoose refuses loose input files with inputs_unfrozen.
func (o *policyRunOptions) refuseLoose(ctx context.Context, app *App) error {
	var given, cursors []string
	seen := map[string]bool{}
	for _, l := range looseCursors {
		if v := o.loose[l.flag]; v != nil && len(*v) > 0 {
			given = append(given, "--"+l.flag)
			if !seen[l.cursor] {
				seen[l.cursor] = true
				cursors = append(cursors, l.cursor)
			}
		}
	}
	if len(given) == 0 {
		return nil
	}
	return app.inputsUnfrozen(ctx, "loose input files given ("+strings.Join(given, ", ")+")", cursors)
}

// inputsUnfrozen records a policy.inputs_unfrozen event (best effort) and
// returns the exit-7 error naming the cursors the run is missing.
func (a *App) inputsUnfrozen(ctx context.Context, why string, cursors []string) error {
	if st, err := a.openStore(ctx, false); err == nil {
		st.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Append(ctx, eventInputsUnfrozen, "cli", "", map[string]any{"reason": why, "missingCursors": cursors})
			return err
		})
		st.Close()
	}
	return fail.New(fail.Unfrozen, "inputs_unfrozen: %s; policy run evaluates frozen inputs only — missing input cursors: %s. Freeze them with `stella snapshot create … -o DIR`, `stella snapshot import DIR`, then pass --snapshot ID",
		why, strings.Join(cursors, ", "))
}

// loadedPolicy is a policy ready to evaluate and to record.
type loadedPolicy struct {
	ID            string // P-n, or the policy's own name for a file
	Version       int    // 0 for a file
	IR            []byte // canonical
	Digest        string
	Policy        *ir.Policy
	SourceMap     *ir.SourceMap
	SourceMapJSON []byte
}

// loadPolicy resolves POLICY: a registered P-n[@version] in the store, or a
// policy file compiled now (its diagnostics go to stderr).
func (a *App) loadPolicy(ctx context.Context, st *store.Store, ref string) (*loadedPolicy, error) {
	id, version, registered, err := store.ParsePolicyRef(ref)
	if err != nil {
		return nil, err
	}
	if registered && !fileExists(ref) {
		var pv store.PolicyVersion
		lp := &loadedPolicy{ID: id}
		err := st.View(ctx, func(tx *store.Tx) error {
			var err error
			if pv, err = tx.PolicyVersion(ctx, id, version); err != nil {
				return err
			}
			if lp.IR, err = tx.Blob(ctx, pv.IRDigest); err != nil {
				return err
			}
			if pv.SourceMapDigest != "" {
				lp.SourceMapJSON, err = tx.Blob(ctx, pv.SourceMapDigest)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		lp.Version = pv.Version
		return lp, lp.decode(ref)
	}
	src, err := readPolicy(ref)
	if err != nil {
		return nil, err
	}
	res := dsl.CompileResult(ref, src)
	if len(res.Diagnostics) > 0 && !(a.Global.Quiet && !dsl.HasErrors(res.Diagnostics)) {
		if err := syntax.Render(a.Err, res.Diagnostics, src); err != nil {
			return nil, err
		}
	}
	if res.Policy == nil {
		return nil, exitWith(fail.Invalid)
	}
	sm, err := canon.Marshal(res.SourceMap)
	if err != nil {
		return nil, err
	}
	return &loadedPolicy{ID: res.Policy.PolicyID, IR: res.IR, Digest: res.Digest, Policy: res.Policy, SourceMap: res.SourceMap, SourceMapJSON: sm}, nil
}

// decode reads the stored IR and source map of a policy.
func (lp *loadedPolicy) decode(name string) error {
	p, err := ir.Decode(lp.IR)
	if err != nil {
		return fail.New(fail.Integrity, "%s: stored IR: %v", name, err)
	}
	lp.Policy, lp.Digest = p, canon.Digest(lp.IR)
	if lp.SourceMapJSON != nil {
		lp.SourceMap = new(ir.SourceMap)
		if err := json.Unmarshal(lp.SourceMapJSON, lp.SourceMap); err != nil {
			return fail.New(fail.Integrity, "%s: stored source map: %v", name, err)
		}
	}
	return nil
}

// loadStoredSnapshot opens a snapshot stored in the database, verifying it
// as it is read, with all of its advisories.
func loadStoredSnapshot(ctx context.Context, st *store.Store, ref string) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	if isDir(ref) {
		// A snapshot directory names the stored snapshot with its id.
		s, err := snapshot.OpenDir(ref)
		if err != nil {
			return nil, err
		}
		ref = s.ID()
	}
	err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveSnapshot(ctx, ref)
		if err != nil {
			return err
		}
		fsys, err := tx.SnapshotFS(ctx, id)
		if err != nil {
			return err
		}
		if snap, err = snapshot.LoadFS(fsys); err != nil {
			return fmt.Errorf("snapshot %s: %w", id, err)
		}
		if snap.ID() != id {
			return fail.New(fail.Integrity, "snapshot %s: stored manifest has id %s", id, snap.ID())
		}
		return nil
	})
	return snap, err
}

// evaluateSnapshot joins the snapshot and evaluates the policy on it.
func evaluateSnapshot(ctx context.Context, pol *loadedPolicy, snap *snapshot.Snapshot, env []engine.KV, at time.Time, shadow bool) (*engine.Result, error) {
	m, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		return nil, err
	}
	return engine.Evaluate(ctx, engine.Request{
		Policy: pol.Policy, SourceMap: pol.SourceMap, Digest: pol.Digest,
		Inputs: snap.Inputs, Match: m, InputDigests: snapshotRef(snap), SnapshotID: snap.ID(),
		Env: env, At: at, Shadow: shadow,
	})
}

// isEvalFailure tells a failure of the evaluation itself, recorded as a
// failed run, from a problem with the request, which records nothing.
func isEvalFailure(err error) bool {
	k := fail.KindOf(err)
	return k == fail.Internal || k == fail.Transient
}

// snapshotRef converts a snapshot's digests into the engine's input cursors.
func snapshotRef(s *snapshot.Snapshot) *engine.InputsRef {
	d := s.Digests
	ref := &engine.InputsRef{SnapshotID: s.ID(), SBOMs: []engine.SBOMRef{}, Advisories: d.Advisories, VEX: d.VEX, NVD: d.NVD, EPSS: d.EPSS,
		KEV: d.KEV, Reachability: d.Reachability, Exceptions: d.Exceptions}
	for _, sb := range d.SBOMs {
		ref.SBOMs = append(ref.SBOMs, engine.SBOMRef{Name: sb.Name, Digest: sb.Digest, Components: sb.Components})
	}
	// The counts of the whole snapshot: Inputs may hold only the advisories
	// the join can use (snapshot.Load).
	st := s.Manifest.Content.Stats
	ref.Counts = engine.InputCounts{Components: st.Components, Advisories: st.Advisories, VEX: st.VEX, EPSS: st.EPSS, KEV: st.KEV,
		Reachability: st.Reachability, Exceptions: st.Exceptions}
	return ref
}

// parseEnv reads --env k=v values; the engine normalizes and checks them.
func parseEnv(vals []string) ([]engine.KV, error) {
	var env []engine.KV
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fail.New(fail.Invalid, "--env %q: want key=value", v)
		}
		env = append(env, engine.KV{Key: k, Value: val})
	}
	out, err := engine.NormalizeEnv(env)
	if err != nil {
		return nil, fail.Wrap(fail.Invalid, err)
	}
	if out == nil {
		out = []engine.KV{}
	}
	return out, nil
}

// defaultEvaluationTime is the newest timestamp among the inputs: advisory
// modified/published times, VEX statement times, the EPSS score date, the
// KEV release date. Never the wall clock, so a run is reproducible.
func defaultEvaluationTime(in *model.Inputs) (time.Time, error) {
	var newest time.Time
	consider := func(s string) {
		if s == "" {
			return
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, s); err != nil {
				return
			}
		}
		if t.After(newest) {
			newest = t
		}
	}
	for i := range in.Advisories {
		consider(in.Advisories[i].Modified)
		consider(in.Advisories[i].Published)
	}
	for i := range in.VEX {
		consider(in.VEX[i].Timestamp)
	}
	if in.EPSS != nil {
		consider(in.EPSS.ScoreDate)
	}
	if in.KEV != nil {
		consider(in.KEV.DateReleased)
	}
	if newest.IsZero() {
		return newest, fail.New(fail.Invalid, "the inputs carry no timestamp to evaluate at; give --as-of")
	}
	return newest.UTC().Truncate(time.Second), nil
}

// gateExit maps a run verdict to the exit contract of policy simulate.
func gateExit(verdict, failOn string, shadow bool) error {
	if shadow || failOn == "never" {
		return nil
	}
	switch {
	case verdict == engine.VerdictBlocked:
		return exitWith(fail.Blocked)
	case verdict == engine.VerdictWarned && failOn == "warned":
		return exitWith(fail.Warned)
	}
	return nil
}

func sbomDigests(rec *store.RunRecord) string {
	ds := make([]string, len(rec.Inputs.SBOMs))
	for i, s := range rec.Inputs.SBOMs {
		ds[i] = s.Digest
	}
	return strings.Join(ds, ",")
}

// runSummaryOut is the JSON form of a run's summary.
type runSummaryOut struct {
	RunID          string               `json:"runId"`
	Existing       bool                 `json:"alreadyRecorded"`
	PolicyID       string               `json:"policyId"`
	PolicyVersion  int                  `json:"policyVersion,omitempty"`
	IRDigest       string               `json:"irDigest"`
	SnapshotID     string               `json:"snapshotId"`
	EvaluationTime string               `json:"evaluationTime"`
	Shadow         bool                 `json:"shadow"`
	Verdict        string               `json:"verdict"`
	Findings       int                  `json:"findings"`
	ByVerdict      engine.VerdictCounts `json:"byVerdict"`
	FindingsDigest string               `json:"findingsDigest"`
	ExplainsDigest string               `json:"explainsDigest"`
	Signed         bool                 `json:"signed"`
	Signer         string               `json:"signer,omitempty"`
}

func runSummary(out *recorded) runSummaryOut {
	rec := out.Record
	s := runSummaryOut{RunID: rec.RunID, Existing: out.Existing, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version,
		IRDigest: rec.Policy.IRDigest, SnapshotID: rec.Inputs.SnapshotID, EvaluationTime: rec.Inputs.EvaluationTime,
		Shadow: rec.Shadow, Verdict: rec.Verdict, Findings: rec.Stats.Findings, ByVerdict: rec.Stats.ByVerdict,
		FindingsDigest: rec.Outputs.Findings, ExplainsDigest: rec.Outputs.Explains, Signed: out.Envelope != nil}
	if out.Envelope != nil {
		if env, err := attest.ParseEnvelope("envelope", out.Envelope); err == nil && len(env.Signatures) > 0 {
			s.Signer = env.Signatures[0].KeyID
		}
	}
	return s
}

func (a *App) runSummaryTable(w io.Writer, out *recorded) error {
	s := runSummary(out)
	st := a.styles()
	again := ""
	if s.Existing {
		again = " (already recorded: same policy, inputs, env and time)"
	}
	fmt.Fprintf(w, "run %s%s\n", st.paint(st.bold, s.RunID), again)
	policy := s.PolicyID
	if s.PolicyVersion > 0 {
		policy = fmt.Sprintf("%s@%d", s.PolicyID, s.PolicyVersion)
	}
	shadow := ""
	if s.Shadow {
		shadow = " (shadow: not enforced)"
	}
	fmt.Fprintf(w, "  policy    %s %s\n  snapshot  %s\n  evaluated %s\n", policy, s.IRDigest, s.SnapshotID, s.EvaluationTime)
	fmt.Fprintf(w, "  verdict   %s%s\n", verdictText(st, s.Verdict), shadow)
	v := s.ByVerdict
	fmt.Fprintf(w, "  findings  %d: %d blocked, %d warned, %d passed, %d quieted, %d ignored\n", s.Findings, v.Blocked, v.Warned, v.Passed, v.Quieted, v.Ignored)
	if s.Signed {
		fmt.Fprintf(w, "  signed    policy.run@1 by %s\n", s.Signer)
	} else {
		fmt.Fprintf(w, "  signed    no\n")
	}
	return nil
}
