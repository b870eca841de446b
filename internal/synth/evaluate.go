package synth

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Evaluation is a synthetic input set taken through the pipeline
// `stella policy simulate` runs: written, read and frozen, joined, and
// evaluated by an n-rule policy.
type Evaluation struct {
	Snapshot *snapshot.Snapshot
	Match    *match.Result
	Policy   *run.Policy
	Env      []engine.KV
	Result   *engine.Result
}

// Evaluate writes the set of c into a temporary directory, reads it back
// and evaluates Policy(rules) over it at time at.
func Evaluate(ctx context.Context, c Config, rules int, at time.Time) (*Evaluation, error) {
	dir, err := os.MkdirTemp("", "synth")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f, err := Write(dir, c, Zip)
	if err != nil {
		return nil, err
	}
	spec := snapshot.Spec{SBOMs: []string{f.SBOM}, Advisories: []string{f.Advisories}}
	if f.VEX != "" {
		spec.VEX = []string{f.VEX}
	}
	ev := &Evaluation{Env: []engine.KV{{Key: "exposure", Value: "internet"}}}
	if ev.Snapshot, err = snapshot.FromFiles(spec); err != nil {
		return nil, err
	}
	src := Policy(rules)
	if ev.Policy, err = run.Compile("synthetic.stella", src); err != nil {
		return nil, fmt.Errorf("the synthetic policy does not compile: %v", err)
	}
	out, err := run.Evaluate(ctx, run.Spec{Policy: ev.Policy, Snapshot: ev.Snapshot, Env: ev.Env, At: at, Record: true})
	if err != nil {
		return nil, err
	}
	ev.Match, ev.Result = out.Match, out.Result
	return ev, nil
}

// Evaluate evaluates the policy again, at time at.
func (ev *Evaluation) Evaluate(ctx context.Context, at time.Time) (*engine.Result, error) {
	out, err := run.Evaluate(ctx, run.Spec{Policy: ev.Policy, Snapshot: ev.Snapshot, Env: ev.Env, At: at, Record: true})
	if err != nil {
		return nil, err
	}
	return out.Result, nil
}
