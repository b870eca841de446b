package engine

import (
	"cmp"
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// Request is everything an evaluation depends on.
type Request struct {
	Policy *ir.Policy
	// Registered is the registry id (P-n) of the policy, "" for a policy
	// file: an exception scoped to a policy applies only to its runs.
	Registered string
	SourceMap  *ir.SourceMap // optional: condition text and positions in traces
	Digest     string        // the IR digest; computed when empty
	Inputs     *model.Inputs
	// Match is the join of Inputs (match.Join). The engine never joins
	// itself, so that a baseline and a candidate policy share one join.
	Match *match.Result
	// InputDigests, when set (a snapshot knows them), replaces the digests
	// the engine would compute over the normalized inputs, and its
	// Counts.Advisories, when set, the advisory count (a snapshot's Inputs
	// may hold only the advisories the join can use: snapshot.Index.Select).
	InputDigests *InputsRef
	// AllModified, when set, returns the modified time of every advisory
	// when Inputs may hold only a selection: freshness counts them all
	// when a selected one is after the evaluation time (freshness.go).
	AllModified func() ([]string, error)
	SnapshotID  string
	Env         []KV      // keys are lower-cased; duplicates are an error
	At          time.Time // the evaluation timestamp; required
	// Parallelism is the number of workers (0: GOMAXPROCS). The result does
	// not depend on it.
	Parallelism int
	Shadow      bool // record findings without enforcing them (also settings.shadow)
	// Baseline is an earlier result over the same inputs; settings
	// new_findings_only uses it to tell new blocks from known ones.
	Baseline *Result
	// MaxFeedAge is the age of the newest advisory modified time beyond
	// which the result warns that the advisory data is stale (--max-feed-age;
	// 0: never). settings.max_feed_age_days is the gate that blocks; when
	// the policy sets it, it is the warning's limit too, unless
	// MaxFeedAgeGiven (--max-feed-age given explicitly) and MaxFeedAge is
	// tighter (docs/output.md "Freshness").
	MaxFeedAge      time.Duration
	MaxFeedAgeGiven bool
	// NoExplain skips explain traces: Finding.Explain is nil and ExplainID
	// empty. For callers that need only verdicts (baseline diffs, policy
	// tests); everything else in the result is the same.
	NoExplain bool
	// Keep makes the result carry the canonical bytes of its findings and
	// traces as they were encoded for the digests (Finding.Canonical,
	// Explain.Canonical), for a caller that stores them (internal/run when
	// the outcome is recorded). Without it the bytes are dropped once
	// hashed, so a result held only for rendering costs no extra memory.
	Keep bool
	// Coverage is which ecosystems of the components the advisory inputs
	// cover (internal/run computes it from the snapshot, docs/output.md
	// "Coverage"); the result carries it, counts its unchecked components
	// and warns about them. nil: not known, nothing counted.
	Coverage *Coverage
	// UncheckedBudget, when set (--unchecked-budget), is the gate
	// unchecked-budget like settings.unchecked_budget; with both, the
	// smaller applies.
	UncheckedBudget *int
}

// Evaluate runs req.Policy over req.Match and returns the result. Errors
// are fail.Invalid for a request or policy the engine cannot run.
func Evaluate(ctx context.Context, req Request) (*Result, error) {
	if req.Policy == nil || req.Inputs == nil || req.Match == nil {
		return nil, fail.New(fail.Invalid, "engine: a policy, inputs and their match result are required")
	}
	if req.At.IsZero() {
		return nil, fail.New(fail.Invalid, "engine: no evaluation time")
	}
	at := req.At.UTC()
	env, err := NormalizeEnv(req.Env)
	if err != nil {
		return nil, err
	}
	c := &compiler{env: env, policyID: req.Policy.PolicyID, evalTime: at.Format(time.RFC3339Nano)}
	prog, err := compileProgram(req.Policy, req.SourceMap, c)
	if err != nil {
		return nil, fail.New(fail.Invalid, "policy %s: %v", req.Policy.PolicyID, err)
	}
	prog.at, prog.atText = at, c.evalTime
	prog.explain, prog.keep = !req.NoExplain, req.Keep
	shadow := req.Shadow || prog.set.shadow
	prog.enforced = !shadow
	var warnings []string
	var w []string
	prog.sbomTags = map[string][]string{}
	for i := range req.Inputs.SBOMs {
		sb := &req.Inputs.SBOMs[i]
		prog.sbomTags[sb.Digest] = sb.Tags
	}
	prog.nvd = req.Inputs.NVD
	known, signalWarnings := knownSignals(req.Inputs, at)
	prog.sig, w = newSignalIndex(known)
	warnings = append(warnings, w...)
	xs, w := prepareExceptions(req.Inputs.Exceptions, at, req.Registered)
	prog.excs = newExceptionIndex(xs)
	warnings = append(warnings, w...)
	notices := w
	warnings = append(warnings, req.Match.Warnings...)
	notices = append(notices, req.Match.Notices...)
	times, err := req.modifiedTimes(at)
	if err != nil {
		return nil, err
	}
	fresh, w := freshness(times, at, feedLimitOf(&req, prog.set.maxFeedAge))
	warnings = append(warnings, w...)
	notices = append(notices, w...)
	w = append(futureVEX(req.Inputs.VEX, at), signalWarnings...)
	warnings = append(warnings, w...)
	notices = append(notices, w...)
	if w := req.Coverage.Warning(); w != "" {
		warnings = append(warnings, w)
		notices = append(notices, w)
	}

	if work := int64(len(prog.rules)) * int64(len(req.Match.Pairs)); work > MaxRuleEvaluations {
		return nil, fail.New(fail.Invalid, "policy %s: %w: %d rules × %d findings = %d rule evaluations, over the limit of %d (docs/performance.md \"Bounds\"); split the policy or evaluate fewer SBOMs per run",
			req.Policy.PolicyID, ErrCostLimit, len(prog.rules), len(req.Match.Pairs), work, int64(MaxRuleEvaluations))
	}
	findings, stats, evals, err := prog.evaluateAll(ctx, req.Match.Pairs, req.Parallelism)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(findings); i++ {
		if findings[i].FindingID == findings[i-1].FindingID {
			return nil, fail.New(fail.Invalid, "engine: %s is matched twice with %s (duplicate component ref %q in one SBOM?)",
				findings[i].Purl, findings[i].AdvisoryID, findings[i].Component.Ref)
		}
	}

	w = prog.excs.scopeWarnings(findings)
	warnings = append(warnings, w...)
	notices = append(notices, w...)

	digest := req.Digest
	if digest == "" {
		if _, digest, err = ir.Digest(req.Policy); err != nil {
			return nil, err
		}
	}
	res := &Result{
		SchemaVersion:  SchemaVersion,
		Policy:         PolicyRef{ID: req.Policy.PolicyID, Digest: digest, Syntax: req.Policy.Syntax, Profile: RiskProfile},
		Env:            env,
		EvaluationTime: c.evalTime,
		Shadow:         shadow,
		Findings:       findings,
		VEXMatchReport: vexReport(req.Match.Unmatched),
		Warnings:       sortStrings(warnings),
		Notices:        sortStrings(notices),
	}
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	if res.Inputs, err = inputsRef(req, env, res.EvaluationTime); err != nil {
		return nil, err
	}
	res.Summary = summarize(findings, prog, stats, evals)
	res.Summary.Unchecked, res.Summary.UncheckedByEcosystem = req.Coverage.Unchecked(), req.Coverage.UncheckedCounts()
	res.Freshness, res.Coverage = fresh, req.Coverage
	res.Gates, res.Verdict = prog.gates(findings, req.Baseline, fresh, uncheckedGate{req.Coverage, req.UncheckedBudget})
	res.keep = req.Keep
	if err := res.seal(); err != nil {
		return nil, err
	}
	return res, nil
}

// MaxRuleEvaluations caps the work of one evaluation, rules × findings:
// every rule runs on every finding and, with explain traces, leaves a trace
// entry, so memory and time follow the product (20 rules × 100k findings
// is 2M; docs/performance.md "Bounds").
const MaxRuleEvaluations = 5_000_000

// ErrCostLimit is wrapped by the error of an evaluation refused by
// MaxRuleEvaluations (exit 2, docs/exit-codes.md).
var ErrCostLimit = errors.New("evaluation cost limit")

// NormalizeEnv lower-cases keys, sorts by key and rejects duplicates.
func NormalizeEnv(env []KV) ([]KV, error) {
	out := make([]KV, len(env))
	for i, kv := range env {
		if kv.Key == "" {
			return nil, fail.New(fail.Invalid, "env: empty key")
		}
		out[i] = KV{Key: strings.ToLower(kv.Key), Value: kv.Value}
	}
	slices.SortStableFunc(out, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	for i := 1; i < len(out); i++ {
		if out[i].Key == out[i-1].Key {
			return nil, fail.New(fail.Invalid, "env: key %q given twice", out[i].Key)
		}
	}
	return out, nil
}

// evaluateAll evaluates every pair with n workers. Each worker takes
// contiguous chunks and writes findings by pair index, so the output does
// not depend on scheduling; it is then sorted by finding id.
func (p *program) evaluateAll(ctx context.Context, pairs []match.Pair, n int) ([]Finding, []RuleStat, int, error) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	const chunk = 256
	n = max(1, min(n, (len(pairs)+chunk-1)/chunk))
	out := make([]Finding, len(pairs))
	type tally struct {
		stats []RuleStat
		evals int
	}
	tallies := make([]tally, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	var cancelled error
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &state{p: p, stats: make([]RuleStat, len(p.rules))}
			for {
				if err := ctx.Err(); err != nil {
					mu.Lock()
					cancelled = err
					mu.Unlock()
					break
				}
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= len(pairs) {
					break
				}
				for i := lo; i < min(lo+chunk, len(pairs)); i++ {
					s.prepare(&pairs[i])
					s.run()
					out[i] = s.finding()
				}
			}
			tallies[w] = tally{s.stats, s.evals}
		}()
	}
	wg.Wait()
	if cancelled != nil {
		return nil, nil, 0, fail.Wrap(fail.Transient, cancelled)
	}
	stats := make([]RuleStat, len(p.rules))
	evals := 0
	for i := range stats {
		stats[i].Rule = p.rules[i].r.Name
	}
	for _, t := range tallies {
		evals += t.evals
		for i, st := range t.stats {
			stats[i].Matched += st.Matched
			stats[i].Decided += st.Decided
			stats[i].Shadowed += st.Shadowed
		}
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.FindingID, b.FindingID) })
	return out, stats, evals, nil
}

func vexReport(us []match.Unmatched) []VEXUnmatched {
	out := make([]VEXUnmatched, 0, len(us))
	for _, u := range us {
		out = append(out, VEXUnmatched{StatementID: u.Statement.ID, Vulnerability: u.Statement.Vulnerability, Reason: u.Reason, Detail: u.Detail})
	}
	slices.SortFunc(out, func(a, b VEXUnmatched) int {
		return cmp.Or(strings.Compare(a.StatementID, b.StatementID), strings.Compare(a.Reason, b.Reason))
	})
	return out
}
