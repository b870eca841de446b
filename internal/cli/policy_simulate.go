package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

type policySimulateOptions struct {
	in        inputFlags
	snapshot  string
	env       []string
	asOf      string
	baseline  string
	failOn    string
	shadow    bool
	record    bool
	sign      signFlags
	trust     string
	set       string
	base      baselineFlags // --baseline-run, --baseline-snapshot, --baseline-sbom (baseline.go)
	labels    []string
	sarifBase string
}

func newPolicySimulateCmd(app *App) *cobra.Command {
	opts := &policySimulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate (POLICY | --set active|P-1,P-4…) (--sbom FILE… [--advisories P…] [--vex F…] [--nvd P…] [--epss F] [--kev F] [--reachability F…] [--exceptions F…] | --snapshot ID|DIR) [--env k=v…] [--as-of TS] [--baseline POLICY] [--fail-on blocked|warned|never|new-blocked]",
		Short: "Evaluate a policy on inputs and gate on the verdict (CI)",
		Long: `Evaluate POLICY — a .stella file, or a registered P-n[@version] — on loose
input files frozen in memory, or on a snapshot (a directory made by
stella snapshot create, or the id of one under the snapshots directory),
and print the findings with their verdicts. Nothing is stored unless
--record is given.

The evaluation time is --as-of, else the newest timestamp among the inputs
(never the wall clock; stderr says which was used), so a simulation is
reproducible: the same inputs give byte-identical output.

--baseline POLICY evaluates a second policy on the same inputs and reports
added / removed / changed / unchanged findings (old → new verdict and
severity) and each rule's impact. With --fail-on new-blocked the gate fails
only when the candidate blocks a finding the baseline did not block.

Formats (--format): table, json (the full result, with explain traces),
yaml, ndjson (one finding a line), sarif (2.1.0), junit, openvex and html
(one self-contained page). See docs/output.md.

Exit codes: 0 passed (or warned without --fail-on warned), 20 blocked,
21 warned with --fail-on warned, 2 invalid policy or input, 3 --record
refused (missing scope policy:simulate under a trust config), 4 unknown
snapshot or policy. A shadow policy (settings shadow = true, or --shadow)
never fails the gate.

--record stores the simulation as a run (mode simulate). When a trust
config is in force, recording is an action of the key that signs it
(--sign-key, config signing.key, else config key): it must be trusted and
hold policy:simulate, or the command is refused with exit 3 before anything
is evaluated. Without a trust config recording is not gated.`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.set != "" {
				return runPolicySimulateSet(cmd.Context(), app, args, opts)
			}
			if len(args) == 0 {
				return fail.New(fail.Invalid, "give POLICY (a .stella file or P-n[@version]), or --set")
			}
			return runPolicySimulate(cmd.Context(), app, args[0], opts)
		},
	}
	f := cmd.Flags()
	opts.in.AddFlags(f)
	f.StringVar(&opts.snapshot, "snapshot", "", "evaluate a snapshot instead of loose files: its directory, or its id (unique prefix) under the snapshots directory")
	f.StringArrayVar(&opts.env, "env", nil, "environment value k=v for env.* (repeatable)")
	f.StringVar(&opts.asOf, "as-of", "", "evaluation time, RFC 3339 (default: the newest timestamp among the inputs)")
	f.StringVar(&opts.baseline, "baseline", "", "also evaluate this policy and report the verdict changes")
	f.StringVar(&opts.failOn, "fail-on", "blocked", "exit non-zero on: blocked, warned, never; new-blocked (needs a baseline) or new-warned (needs --baseline-run/-snapshot/-sbom)")
	opts.base.register(f)
	addLabelFlag(f, &opts.labels)
	f.StringVar(&opts.sarifBase, "sarif-base", "", "with --format sarif: the repository root; SBOM locations become relative to it (uriBaseId SRCROOT)")
	f.BoolVar(&opts.shadow, "shadow", false, "shadow evaluation: findings are not enforced and the gate never fails")
	f.BoolVar(&opts.record, "record", false, "record the simulation in the database (run history, findings, explains)")
	opts.sign.add(f, "with --record: key to sign the run manifest")
	f.StringVar(&opts.set, "set", "", "evaluate a policy set instead of POLICY: active (the tenant's active policies) or P-1,P-4,… (registered or files); docs/governance.md")
	f.StringVar(&opts.trust, "trust", "", "with --record: trust config in force; the signing key must hold policy:simulate in it (default: as the governance commands find it)")
	return cmd
}

// simulation is the JSON form of a simulation with a baseline.
type simulation struct {
	SchemaVersion string         `json:"schemaVersion"`
	Candidate     *engine.Result `json:"candidate"`
	Baseline      *engine.Result `json:"baseline"`
	Diff          *engine.Diff   `json:"diff"`
}

func runPolicySimulate(ctx context.Context, app *App, policyRef string, opts *policySimulateOptions) error {
	if err := opts.checkBaselines(); err != nil {
		return err
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

	var act *runActor
	if opts.record {
		if act, err = app.authorizeRun(opts.trust, &opts.sign, governance.ScopePolicySimulate); err != nil {
			return err
		}
	}
	var st *store.Store
	needStore := opts.record || isRegistered(policyRef) || isRegistered(opts.baseline) || opts.base.run != ""
	if needStore {
		if st, err = app.openStore(ctx, !opts.record); err != nil {
			return err
		}
		defer st.Close()
	}
	pol, err := app.loadPolicy(ctx, st, policyRef)
	if err != nil {
		return err
	}
	var base *loadedPolicy
	if opts.baseline != "" {
		if base, err = app.loadPolicy(ctx, st, opts.baseline); err != nil {
			return err
		}
	}
	snap, err := opts.inputs(ctx, app, st)
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
		req.SnapshotID = snap.ID() // loose files frozen in memory have no stored snapshot
	}
	var baseRes *engine.Result
	if base != nil {
		breq := req
		breq.Policy, breq.SourceMap, breq.Digest = base.Policy, base.SourceMap, base.Digest
		if baseRes, err = engine.Evaluate(ctx, breq); err != nil {
			return err
		}
		req.Baseline = baseRes
	}
	req.Policy, req.SourceMap, req.Digest = pol.Policy, pol.SourceMap, pol.Digest
	started := time.Now()
	res, err := engine.Evaluate(ctx, req)
	if err != nil {
		return err
	}
	var diff *engine.Diff
	if baseRes != nil {
		diff = engine.Compare(baseRes, res)
	}

	var dl *delta.Delta
	if opts.base.given() > 0 {
		if dl, err = opts.base.compare(ctx, app, st, req, snap, res); err != nil {
			return err
		}
	}
	if opts.record {
		if err := app.recordSimulation(ctx, st, pol, res, req, started, act, opts.labels, snap); err != nil {
			return err
		}
	}
	if err := app.writeSimulation(format, snap, res, baseRes, diff, dl, opts.sarifBase); err != nil {
		return err
	}
	if format != "table" && !app.Global.Quiet {
		fmt.Fprintln(app.Err, "stella: "+report.Summary(res))
		if diff != nil {
			s := diff.Summary
			fmt.Fprintf(app.Err, "stella: against the baseline: %d changed, %d newly blocked, %d no longer blocked\n", s.Changed, s.NewBlocked, s.Unblocked)
		}
		if dl != nil {
			fmt.Fprintln(app.Err, "stella: "+report.DeltaSummary(dl))
		}
	}
	if dl != nil && (opts.failOn == "new-blocked" || opts.failOn == "new-warned") {
		return deltaGate(dl, opts.failOn, res.Shadow)
	}
	if opts.failOn == "new-blocked" {
		if res.Shadow || diff.Summary.NewBlocked == 0 {
			return nil
		}
		return exitWith(fail.Blocked)
	}
	return gateExit(res.Verdict, opts.failOn, res.Shadow)
}

func isSimulateFormat(f string) bool {
	switch f {
	case "table", "json", "yaml", "ndjson", "sarif", "junit", "openvex", "html", "markdown":
		return true
	}
	return false
}

// isRegistered tells a registered policy reference (P-n[@v]) from a file.
func isRegistered(ref string) bool {
	if ref == "" || fileExists(ref) {
		return false
	}
	_, _, ok, err := store.ParsePolicyRef(ref)
	return err == nil && ok
}

// inputs freezes the loose input files in memory, or opens the snapshot.
func (o *policySimulateOptions) inputs(ctx context.Context, app *App, st *store.Store) (*snapshot.Snapshot, error) {
	loose := len(o.in.sboms)+len(o.in.advisories)+len(o.in.vex)+len(o.in.nvd)+len(o.in.reach)+len(o.in.exceptions) > 0 || o.in.epss != "" || o.in.kev != ""
	if o.snapshot != "" {
		if loose {
			return nil, fail.New(fail.Invalid, "--snapshot and input files (--sbom, --advisories, …) exclude each other")
		}
		dir, err := snapshot.Resolve(app.snapshotsDir(), o.snapshot)
		if fail.Is(err, fail.NotFound) {
			// Not a directory or a snapshot under the snapshots directory:
			// perhaps one imported into the database.
			if st != nil {
				return loadStoredSnapshot(ctx, st, o.snapshot)
			}
			return app.openStoredSnapshot(ctx, o.snapshot)
		}
		if err != nil {
			return nil, err
		}
		return snapshot.Load(dir)
	}
	if len(o.in.sboms) == 0 {
		return nil, fail.New(fail.Invalid, "give at least one --sbom (with --advisories, --vex, …), or --snapshot")
	}
	spec, err := o.in.spec(app)
	if err != nil {
		return nil, err
	}
	snap, err := snapshot.FromFiles(spec)
	if err != nil {
		return nil, err
	}
	for _, s := range snap.Manifest.Sources {
		// Each problem names its file already.
		app.reportProblems("warning", s.Warnings)
		app.reportProblems("skipped", s.Skipped)
	}
	app.reportProblems("warning", snap.Manifest.Warnings)
	return snap, nil
}

// writeSimulation renders the outcome in format.
func (a *App) writeSimulation(format string, snap *snapshot.Snapshot, res, base *engine.Result, diff *engine.Diff, dl *delta.Delta, sarifBase string) error {
	opts := report.Options{Color: a.Color(), ToolName: "stella", ToolVersion: buildinfo.Get().Version, Locate: sbomLocator(snap), Delta: dl,
		SARIFBase: sarifBase, HelpURI: advisoryURL(snap)}
	switch format {
	case "json", "yaml":
		var v any = res
		if dl != nil {
			v = withDelta(res, dl)
		}
		if diff != nil {
			v = simulation{SchemaVersion: "stella.simulation@1", Candidate: res, Baseline: base, Diff: diff}
		}
		if format == "yaml" {
			return writeYAML(a.Out, v)
		}
		return report.JSON(a.Out, v)
	case "table":
		if err := report.Table(a.Out, res, opts); err != nil {
			return err
		}
		if diff != nil {
			fmt.Fprintln(a.Out)
			return report.DiffTable(a.Out, diff, opts)
		}
		if dl != nil {
			fmt.Fprintln(a.Out)
			return report.DeltaTable(a.Out, dl, opts)
		}
		return nil
	}
	return report.Write(a.Out, format, res, opts)
}

// sbomLocator finds a finding's component in the SBOM file it was read
// from: the file as given on the command line and the line where the
// component's ref (else its purl) first appears. Inputs from a snapshot
// directory have no raw file; they are located by SBOM name.
func sbomLocator(snap *snapshot.Snapshot) func(f *engine.Finding) (string, int) {
	paths := map[string]string{}
	for _, s := range snap.Manifest.Sources {
		if s.Kind == inputs.KindSBOM {
			paths[s.Digest] = s.Path
		}
	}
	names := map[string]string{}
	for _, s := range snap.Digests.SBOMs {
		names[s.Digest] = s.Name
	}
	files := map[string][]byte{}
	return func(f *engine.Finding) (string, int) {
		p, ok := paths[f.Component.SBOM]
		if !ok {
			return cmpOrString(names[f.Component.SBOM], f.Component.SBOM), 0
		}
		data, ok := files[p]
		if !ok {
			data, _ = os.ReadFile(p)
			files[p] = data
		}
		for _, needle := range []string{f.Component.Ref, f.Purl} {
			if needle == "" {
				continue
			}
			if i := bytes.Index(data, []byte(`"`+needle+`"`)); i >= 0 {
				return p, 1 + bytes.Count(data[:i], []byte{'\n'})
			}
		}
		return p, 0
	}
}

// advisoryURL returns an advisory's reference for SARIF rules: its first
// ADVISORY reference, else its first WEB one, else its OSV page.
func advisoryURL(snap *snapshot.Snapshot) func(id string) string {
	return func(id string) string {
		advs := snap.Inputs.Advisories
		i, ok := slices.BinarySearchFunc(advs, id, func(a model.Advisory, id string) int { return strings.Compare(a.ID, id) })
		if ok {
			for _, typ := range []string{"ADVISORY", "WEB"} {
				for _, r := range advs[i].References {
					if r.Type == typ && strings.HasPrefix(r.URL, "https://") {
						return r.URL
					}
				}
			}
		}
		return "https://osv.dev/vulnerability/" + url.PathEscape(id)
	}
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// recordSimulation stores the simulation as a run (mode simulate).
// act signs it and is its actor (authorizeRun).
func (a *App) recordSimulation(ctx context.Context, st *store.Store, pol *loadedPolicy, res *engine.Result, req engine.Request, started time.Time, act *runActor, labels []string, snap *snapshot.Snapshot) error {
	meta := store.RunMeta{Mode: store.ModeSimulate, PolicyID: pol.ID, PolicyVersion: pol.Version, IR: pol.IR, SourceMap: pol.SourceMapJSON,
		SnapshotID: req.SnapshotID, Shadow: res.Shadow, Env: res.Env, EvaluationTime: res.EvaluationTime, StartedAt: started,
		Actor: act.Principal}
	out, err := a.recordRun(ctx, st, recordOptions{Meta: meta, Result: res, SignKey: act.Key, Labels: labels, Components: inventoryJSON(snap)})
	if err != nil {
		return err
	}
	a.infof("stella: recorded simulation %s", out.Record.RunID)
	return nil
}
