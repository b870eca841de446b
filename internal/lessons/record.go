package lessons

import (
	"context"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/store"
)

// Audit event types of lessons.
const (
	EventRecorded    = "lesson.recorded"
	EventConverted   = "lesson.converted"
	EventDeferred    = "lesson.deferred"
	EventDismissed   = "lesson.dismissed"
	EventReactivated = "lesson.reactivated"
)

// load reads what the detector knows about a stored run; with findings
// false only its label (the previous-run search compares labels first).
func load(ctx context.Context, tx *store.Tx, r *store.Run, findings bool) (Run, error) {
	run := Run{ID: r.RunID, PolicyID: r.PolicyID, Version: r.PolicyVersion, EvaluationTime: r.EvaluationTime, Status: r.Status, Error: r.Error,
		Verdict: r.Verdict, Verdicts: map[string]string{}}
	if r.Status != store.StatusSucceeded {
		return run, nil
	}
	res, err := tx.Result(ctx, r)
	if err != nil {
		return run, err
	}
	run.Gates = res.Gates
	var names []string
	for _, s := range res.Inputs.SBOMs {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	run.Label = strings.Join(slices.Compact(names), ",")
	if !findings {
		return run, nil
	}
	fs, err := tx.Findings(ctx, r.RunID, store.FindingFilter{}, false)
	if err != nil {
		return run, err
	}
	for _, f := range fs {
		run.Verdicts[f.FindingID] = f.Verdict
		if f.Verdict == engine.VerdictBlocked && f.Enforced {
			run.Blocked = append(run.Blocked, Finding{ID: f.FindingID, Purl: f.Purl, Advisory: f.AdvisoryID, Band: f.Severity.Band, Rule: f.Rule})
		}
	}
	return run, nil
}

// Record runs the detector on a stored run and records its lessons, each
// with a lesson.recorded audit event by actor. Shadow runs teach nothing
// (their findings are not enforced). Recording again finds the lessons
// already stored and adds none.
func Record(ctx context.Context, tx *store.Tx, runID, actor string) ([]store.Lesson, error) {
	r, err := tx.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	if r.Shadow {
		return nil, nil
	}
	run, err := load(ctx, tx, r, true)
	if err != nil {
		return nil, err
	}
	var prev *Run
	if run.Label != "" {
		if prev, err = previous(ctx, tx, run); err != nil {
			return nil, err
		}
	}
	recorded, err := tx.Lessons(ctx, store.LessonFilter{Type: NearThreshold})
	if err != nil {
		return nil, err
	}
	var out []store.Lesson
	for _, l := range Detect(run, prev, recorded) {
		l, created, err := tx.AddLesson(ctx, l)
		if err != nil {
			return nil, err
		}
		if created {
			if _, err := tx.Append(ctx, EventRecorded, actor, l.ID, map[string]any{"type": l.Type, "sourceRun": l.SourceRun, "gate": l.Gate, "band": l.Band}); err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// previous is the latest succeeded, non-shadow run of the same policy and
// label evaluated before run (by evaluation time, then run id).
func previous(ctx context.Context, tx *store.Tx, run Run) (*Run, error) {
	rs, err := tx.Runs(ctx, store.RunFilter{PolicyID: run.PolicyID, Status: store.StatusSucceeded})
	if err != nil {
		return nil, err
	}
	var best *store.Run
	for _, r := range rs {
		if r.Shadow || r.RunID == run.ID || r.EvaluationTime >= run.EvaluationTime {
			continue
		}
		if best == nil || r.EvaluationTime > best.EvaluationTime || r.EvaluationTime == best.EvaluationTime && r.RunID > best.RunID {
			p, err := load(ctx, tx, r, false)
			if err != nil {
				return nil, err
			}
			if p.Label == run.Label {
				best = r
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	p, err := load(ctx, tx, best, true)
	return &p, err
}

// RecordRun runs the detector after run runID was recorded (Record) in a
// transaction of its own and returns the lessons it recorded; run.Record
// calls it for every recorded run.
func RecordRun(ctx context.Context, st *store.Store, runID, actor string) ([]store.Lesson, error) {
	if actor == "" {
		actor = "cli"
	}
	var ls []store.Lesson
	err := st.Update(ctx, func(tx *store.Tx) error {
		var err error
		ls, err = Record(ctx, tx, runID, actor)
		return err
	})
	return ls, err
}
