package run

import (
	"context"
	"time"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// Spec is everything one evaluation needs, as the command line (or a test
// case, or a stored run) gives it.
type Spec struct {
	Policy   *Policy
	Baseline *Policy // also evaluated on the same inputs; the result is compared with it
	// Against, instead of Baseline, is a recorded run, snapshot or SBOM to
	// compare with (Prepare; docs/runs.md "Labels and baselines"): also
	// what the policy's new_findings_only gate compares with.
	Against *Against
	// Set, instead of Policy, evaluates a policy set (docs/governance.md,
	// "Evaluating a set"); Outcome.Set has its members, and Record lists
	// every member in the record ("Recording a set").
	Set []Member
	// Inputs: a snapshot (a directory, or one stored in the database), or
	// loose input files frozen in memory. Exactly one is set.
	Snapshot *snapshot.Snapshot
	Files    *snapshot.Spec
	Env      []engine.KV // ParseEnv; the engine normalizes it again
	// At is the evaluation time (--as-of, or a stored run's); zero lets
	// Evaluate choose it (evaluationTime).
	At        time.Time
	Shadow    bool
	NoExplain bool // verdicts only (policy test)
	// MaxFeedAge: warn when the newest advisory is older than this at the
	// evaluation time (--max-feed-age, default 7 days; 0: never).
	// MaxFeedAgeGiven: it was given explicitly, so it tightens a policy's
	// max_feed_age_days (docs/output.md "Freshness").
	MaxFeedAge      time.Duration
	MaxFeedAgeGiven bool
	// UncheckedBudget: the unchecked-budget gate (--unchecked-budget,
	// docs/output.md "Coverage"); nil: only the policy's setting.
	// UncheckedSource says where it came from (store.BudgetFlag, the
	// default, store.BudgetEnv or store.BudgetConfig): the record keeps it.
	UncheckedBudget *int
	UncheckedSource string

	// How the evaluation is recorded (Record). Record says it will be: the
	// result then carries the canonical bytes the store writes
	// (engine.Request.Keep); without it they are not kept.
	Record  bool
	Mode    string    // store.ModeRun or store.ModeSimulate
	Actor   string    // who ran it, for the audit log ("cli" when empty)
	Timing  bool      // put the wall-clock start and end into the signed record
	Started time.Time // when the command started (zero: when Evaluate did)
	Labels  []string  // run labels (--label, docs/runs.md "Labels and baselines")
	// Lifecycle and ApprovalSet are the governance of the site about the
	// version (governance.GateRun), carried by the record.
	Lifecycle   string
	ApprovalSet string
}

// Outcome is what Evaluate did: as far as it got when it fails after the
// inputs are loaded, so the caller can still report their warnings.
type Outcome struct {
	Spec     Spec
	Snapshot *snapshot.Snapshot // the evaluated inputs
	Match    *match.Result
	At       time.Time // the evaluation time
	AtChosen bool      // At was chosen by Evaluate, not given
	// AtFuture counts the input timestamps after the wall clock that
	// choosing At left out (DefaultTime).
	AtFuture int
	Result   *engine.Result
	Baseline *engine.Result    // with Spec.Baseline
	Diff     *engine.Diff      // with Spec.Baseline
	Set      *policyset.Result // with Spec.Set; Result is its combined result
	// Err is a failure of the evaluation itself (IsEvalFailure), which
	// Record stores as a failed run; Evaluate returns it too.
	Err       error
	Completed time.Time // wall clock, for the store's timing columns
}

// Compared is the delta of the outcome against its Spec.Against and the
// warnings of comparing; nil without a baseline (or a nil o).
func (o *Outcome) Compared() *Compared {
	if o == nil {
		return nil
	}
	return o.Spec.Against.Compared()
}

// SnapshotID is the stored snapshot the outcome was evaluated on; "" for
// loose files frozen in memory.
func (o *Outcome) SnapshotID() string {
	if o.Spec.Files != nil || o.Snapshot == nil {
		return ""
	}
	return o.Snapshot.ID()
}

// Evaluate freezes (or takes) the inputs, chooses the evaluation time,
// joins, and evaluates the baseline, then the policy, on one join. The
// outcome is non-nil once the inputs are loaded, also with an error.
func Evaluate(ctx context.Context, spec Spec) (*Outcome, error) {
	if spec.Started.IsZero() {
		spec.Started = time.Now()
	}
	out := &Outcome{Spec: spec, Snapshot: spec.Snapshot}
	if spec.Files != nil {
		files := *spec.Files
		// Copies of an advisory are merged as known at the evaluation
		// time, or with --as-of inputs the wall clock (docs/inputs.md
		// "Advisories").
		if files.NotAfter = spec.At; files.NotAfter.IsZero() {
			files.NotAfter = spec.Started
		}
		snap, err := snapshot.FromFiles(files)
		if err != nil {
			return nil, err
		}
		out.Snapshot = snap
	}
	if out.Snapshot == nil {
		return nil, fail.New(fail.Internal, "run: no inputs to evaluate")
	}
	at, err := evaluationTime(spec, out)
	if err != nil {
		return out, err
	}
	if x := out.Snapshot.Index; x != nil {
		// The partners of records withdrawn only after at (Index.Pending).
		if out.Snapshot.Inputs.Advisories, err = x.Pending(out.Snapshot.Inputs.Advisories, at); err != nil {
			return out, err
		}
	}
	if out.Match, err = match.Join(out.Snapshot.Inputs, match.Options{At: at}); err != nil {
		return out, err
	}
	req := engine.Request{Inputs: out.Snapshot.Inputs, Match: out.Match, InputDigests: inputsRef(out.Snapshot),
		SnapshotID: out.SnapshotID(), Env: spec.Env, At: at, Shadow: spec.Shadow, NoExplain: spec.NoExplain, MaxFeedAge: spec.MaxFeedAge, Keep: spec.Record,
		MaxFeedAgeGiven: spec.MaxFeedAgeGiven,
		Coverage:        Coverage(out.Snapshot, out.Match), UncheckedBudget: spec.UncheckedBudget}
	if x := out.Snapshot.Index; x != nil {
		req.AllModified = x.Modified // freshness over every record (docs/output.md "Freshness")
	}
	if spec.Set != nil {
		ms, err := SetMembers(spec.Set)
		if err != nil {
			return out, err
		}
		out.Set, err = evaluateSet(ctx, ms, req)
		out.Completed = time.Now()
		if err != nil {
			if IsEvalFailure(err) {
				out.Err = err
			}
			return out, err
		}
		out.Result = out.Set.Result
		return out, nil
	}
	if b := spec.Baseline; b != nil {
		breq := req
		breq.Policy, breq.SourceMap, breq.Digest = b.Policy, b.SourceMap, b.Digest
		if out.Baseline, err = engine.Evaluate(ctx, breq); err != nil {
			return out, b.named(err)
		}
		req.Baseline = out.Baseline
	}
	if a := spec.Against; a != nil {
		if req.Baseline, err = a.evaluate(ctx, out, at); err != nil {
			return out, err
		}
	}
	p := spec.Policy
	req.Policy, req.SourceMap, req.Digest, req.Registered = p.Policy, p.SourceMap, p.Digest, p.registered()
	out.Result, err = engine.Evaluate(ctx, req)
	out.Completed = time.Now()
	if err != nil {
		err = p.named(err)
		if IsEvalFailure(err) {
			out.Err = err
		}
		return out, err
	}
	if out.Baseline != nil {
		out.Diff = engine.Compare(out.Baseline, out.Result)
	}
	if a := spec.Against; a != nil {
		a.compare(out.Result, out.Snapshot.Inputs)
	}
	return out, nil
}

// evaluationTime is the one place the evaluation time is chosen
// (docs/runs.md, --as-of): the given one, else the newest timestamp among
// the inputs up to the wall clock the command started at. out records it
// and how it was chosen; the caller tells the user.
func evaluationTime(spec Spec, out *Outcome) (time.Time, error) {
	if !spec.At.IsZero() {
		out.At = spec.At.UTC()
		return out.At, nil
	}
	at, future, err := DefaultTime(out.Snapshot.Inputs, spec.Started)
	out.At, out.AtChosen, out.AtFuture = at, true, future
	return at, err
}

// IsEvalFailure tells a failure of the evaluation itself, recorded as a
// failed run, from a problem with the request, which records nothing.
func IsEvalFailure(err error) bool {
	k := fail.KindOf(err)
	return k == fail.Internal || k == fail.Transient
}

// meta is what the store keeps about the run besides the result.
func (o *Outcome) meta() (store.RunMeta, error) {
	s := o.Spec
	m := store.RunMeta{Mode: s.Mode, SnapshotID: o.SnapshotID(), Shadow: s.Shadow, Env: s.Env,
		EvaluationTime: o.At.Format(time.RFC3339Nano), StartedAt: s.Started, CompletedAt: o.Completed,
		Actor: s.Actor, WithTiming: s.Timing, UncheckedBudget: s.UncheckedBudget, UncheckedSource: s.UncheckedSource}
	if s.Set != nil {
		if err := o.setMeta(&m); err != nil {
			return m, err
		}
	} else {
		m.PolicyID, m.PolicyVersion, m.IR, m.SourceMap = s.Policy.ID, s.Policy.Version, s.Policy.IR, s.Policy.SourceMapJSON
		m.Lifecycle, m.ApprovalSet = s.Lifecycle, s.ApprovalSet
	}
	if o.Result != nil {
		// The engine normalizes env, and settings.shadow in the policy
		// makes a run shadow without --shadow.
		m.Env, m.Shadow, m.EvaluationTime = o.Result.Env, o.Result.Shadow, o.Result.EvaluationTime
	}
	return m, nil
}

// evaluateSet evaluates each member of a set that applies to the run on the
// pairs its scope covers (policyset's Member.Covers) with the run's request,
// the member's policy in it and its findings unenforced when it only
// audits, and combines the results (policyset.Combine).
func evaluateSet(ctx context.Context, ms []policyset.Member, req engine.Request) (*policyset.Result, error) {
	results := make([]*engine.Result, len(ms))
	for i, m := range ms {
		pairs, ok, err := m.Covers(req.Env, req.Match.Pairs, req.Inputs.SBOMs)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		r := req
		r.Policy, r.SourceMap, r.Digest, r.Registered = m.Policy, m.SourceMap, m.Digest, m.Registered
		r.Shadow = r.Shadow || m.Audit()
		mr := *req.Match
		mr.Pairs = pairs
		r.Match = &mr
		if results[i], err = engine.Evaluate(ctx, r); err != nil {
			return nil, err
		}
	}
	return policyset.Combine(ms, results, req.Env, len(req.Match.Pairs), req.Shadow)
}
