// Package lessons owns lessons learned (docs/lessons.md): the detector —
// a pure function of a recorded run and the runs and lessons before it —
// that finds failures, near-threshold gates and critical successes; the
// lesson state machine; and converting a lesson into a draft policy
// version with a concrete change and the lesson's evidence (Propose;
// governance drafts it: Registry.ConvertLesson). The detector runs from
// run.Record (RecordRun); the other `stella lessons` commands' bodies are
// governance's (lessontriage.go: Lessons, GetLesson, Registry.MoveLesson).
package lessons

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Types of lessons.
const (
	Failure         = "failure"
	NearThreshold   = "near_threshold"
	CriticalSuccess = "critical_success"
)

// Run is what the detector knows about one recorded run.
type Run struct {
	ID             string
	PolicyID       string
	Version        int
	EvaluationTime string // RFC 3339 UTC
	Status         string // succeeded, failed
	Error          string
	Verdict        string
	Label          string // the software label: the evaluated SBOMs' names, sorted, comma-separated
	Gates          []engine.Gate
	Blocked        []Finding // the run's blocked findings, by finding id
	Verdicts       map[string]string
}

// Finding is a blocked finding of a run.
type Finding struct {
	ID, Purl, Advisory, Band, Rule string
}

// bands of near_threshold, by lower bound in percent.
var bands = []struct {
	lo   decimal.D
	name string
}{{decimal.Int(95), "95-100"}, {decimal.Int(90), "90-95"}, {decimal.Int(85), "85-90"}}

// countGates are the gates whose threshold is a count the run uses up.
var countGates = []string{engine.GateUnknowns, engine.GateUnknownsVEX, engine.GateUnknownsReach, engine.GateUnknownsEPSS,
	engine.GateMaxCritical, engine.GateMaxHigh, engine.GateMaxMedium}

// Detect returns the lessons run teaches (at most one per type), given
// prev — the latest earlier run of the same policy and label, or nil — and
// the near_threshold lessons already recorded (for the debounce): a pure
// function, its output fully determined by its arguments.
func Detect(run Run, prev *Run, recorded []store.Lesson) []store.Lesson {
	var out []store.Lesson
	base := store.Lesson{SourceRun: run.ID, PolicyID: run.PolicyID, PolicyVersion: run.Version, EvaluationTime: run.EvaluationTime, Label: run.Label}
	if l, ok := failure(base, run); ok {
		out = append(out, l)
	}
	if l, ok := nearThreshold(base, run, recorded); ok {
		out = append(out, l)
	}
	if l, ok := success(base, run, prev); ok {
		out = append(out, l)
	}
	return out
}

func evidence(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic(err) // plain data
	}
	return b
}

// bandRank orders bands as ir.BandRank does, anything else ("", Unknown)
// below them all.
func bandRank(band string) int {
	if r, ok := ir.BandRank(band); ok {
		return r
	}
	return -1
}

func failure(l store.Lesson, run Run) (store.Lesson, bool) {
	l.Type = Failure
	if run.Status == store.StatusFailed {
		l.Title = fmt.Sprintf("run of %s failed", run.PolicyID)
		l.Description = fmt.Sprintf("%s failed: %s", run.ID, run.Error)
		l.ProposedAction = "fix the inputs or the policy so that the run evaluates"
		l.Evidence = evidence(map[string]any{"run": run.ID, "error": run.Error})
		return l, true
	}
	if run.Verdict != engine.VerdictBlocked {
		return l, false
	}
	var advs []string
	for _, f := range run.Blocked {
		if bandRank(f.Band) > bandRank(l.Severity) {
			l.Severity = f.Band
		}
		if !slices.Contains(advs, f.Advisory) {
			advs = append(advs, f.Advisory)
		}
	}
	slices.Sort(advs)
	var gates []string
	for _, g := range run.Gates {
		if g.Outcome == engine.GateBlock {
			gates = append(gates, g.Name)
		}
	}
	l.Title = fmt.Sprintf("%s blocked %s", run.PolicyID, text.Count(len(run.Blocked), "finding", "findings"))
	if len(run.Blocked) == 0 {
		l.Title = fmt.Sprintf("%s blocked by gates %s", run.PolicyID, strings.Join(gates, ", "))
	}
	l.Description = fmt.Sprintf("%s was blocked: %s (worst %s); gates blocking: %s", run.ID, text.Count(len(run.Blocked), "blocked finding", "blocked findings"),
		orNone(l.Severity), orNone(strings.Join(gates, ", ")))
	l.ProposedAction = "add a rule that blocks the recurring advisories " + orNone(strings.Join(advs, ", ")) + " explicitly until they are fixed, so that no later change to the policy lets them through"
	l.Evidence = evidence(map[string]any{"run": run.ID, "blocked": run.Blocked, "gates": gates, "advisories": advs})
	return l, true
}

func nearThreshold(l store.Lesson, run Run, recorded []store.Lesson) (store.Lesson, bool) {
	if run.Status != store.StatusSucceeded {
		return l, false
	}
	at, err := time.Parse(time.RFC3339, run.EvaluationTime)
	if err != nil {
		return l, false
	}
	var best *engine.Gate
	var bestUse decimal.D
	for i := range run.Gates {
		g := &run.Gates[i]
		if !slices.Contains(countGates, g.Name) || g.Outcome != engine.GatePass || g.Threshold <= 0 {
			continue
		}
		use, _ := (g.Observed * 100).Div(g.Threshold)
		if use >= decimal.Int(85) && (best == nil || use > bestUse) {
			best, bestUse = g, use
		}
	}
	if best == nil {
		return l, false
	}
	band := ""
	for _, b := range bands {
		if bestUse >= b.lo {
			band = b.name
			break
		}
	}
	gate := run.PolicyID + " " + best.Name
	for _, r := range recorded {
		rt, err := time.Parse(time.RFC3339, r.EvaluationTime)
		if err == nil && r.Type == NearThreshold && r.Gate == gate && r.Band == band && !rt.After(at) && at.Sub(rt) < 24*time.Hour {
			return l, false // debounced: the same gate and band within 24 h
		}
	}
	l.Type, l.Gate, l.Band = NearThreshold, gate, band
	l.Title = fmt.Sprintf("%s used %s%% of gate %s", run.PolicyID, bestUse.Round(1), best.Name)
	l.Description = fmt.Sprintf("%s: %s observed %s of at most %s (band %s%%)", run.ID, best.Name, best.Observed, best.Threshold, band)
	l.ProposedAction = fmt.Sprintf("tighten %s to %s (what the run observed), so that any increase blocks, and plan fixes for what counts against it", settingOf(best.Name), best.Observed)
	l.Evidence = evidence(map[string]any{"run": run.ID, "gate": best.Name, "observed": best.Observed, "threshold": best.Threshold,
		"utilization": bestUse.Round(3), "findings": best.Findings})
	return l, true
}

// settingOf names the setting of a count gate.
func settingOf(gate string) string { return strings.ReplaceAll(gate, "-", "_") }

func success(l store.Lesson, run Run, prev *Run) (store.Lesson, bool) {
	if prev == nil || run.Status != store.StatusSucceeded || run.Verdict == engine.VerdictBlocked || prev.Verdict != engine.VerdictBlocked {
		return l, false
	}
	type fix struct {
		Finding  string `json:"finding"`
		Purl     string `json:"purl"`
		Advisory string `json:"advisory"`
		Now      string `json:"now"` // absent (upgraded or removed), or its verdict now
	}
	var fixes []fix
	var advs []string
	for _, f := range prev.Blocked {
		now, ok := run.Verdicts[f.ID]
		if !ok {
			now = "absent"
		}
		if now == engine.VerdictBlocked {
			continue
		}
		fixes = append(fixes, fix{f.ID, f.Purl, f.Advisory, now})
		if !slices.Contains(advs, f.Advisory) {
			advs = append(advs, f.Advisory)
		}
	}
	slices.Sort(advs)
	l.Type = CriticalSuccess
	l.Title = fmt.Sprintf("%s passes %s again", run.PolicyID, orNone(run.Label))
	l.Description = fmt.Sprintf("%s %s after %s was blocked; fixed: %s", run.ID, run.Verdict, prev.ID, text.Count(len(fixes), "finding", "findings"))
	l.ProposedAction = "add a rule that blocks " + orNone(strings.Join(advs, ", ")) + " again, so that a regression of the fix blocks"
	l.Evidence = evidence(map[string]any{"run": run.ID, "previousRun": prev.ID, "fixed": fixes, "advisories": advs})
	return l, true
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
