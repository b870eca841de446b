package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/lessons"
	"github.com/stella-policy/stella/internal/store"
)

// LessonDraft is lesson Lesson converted into a draft: the draft's
// transition, the compile result and source of the drafted version (for its
// diagnostics), and what changed, in one line.
type LessonDraft struct {
	Lesson     string
	Transition *Transition
	Compiled   *dsl.Result
	Source     []byte
	Change     string
}

// ConvertLesson drafts the next version of lesson id's policy with the
// lesson's proposed change (lessons.Propose), acting as a, and marks the
// lesson converted_to_draft (docs/lessons.md). A draft that does not
// compile is returned with its compile result and the error.
func (r *Registry) ConvertLesson(ctx context.Context, a *Actor, id string) (*LessonDraft, error) {
	var l store.Lesson
	var src []byte
	err := r.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if l, err = tx.Lesson(ctx, id); err != nil {
			return err
		}
		if err := lessons.CheckConvertible(l); err != nil {
			return err
		}
		pv, err := tx.PolicyVersion(ctx, l.PolicyID, 0)
		if fail.Is(err, fail.NotFound) {
			return fail.New(fail.NotFound, "lesson %s is about %s, which is no registered policy (a run of a file): register it with policy new first", l.ID, l.PolicyID)
		}
		if err != nil {
			return err
		}
		src, err = tx.Blob(ctx, pv.SourceDigest)
		return err
	})
	if err != nil {
		return nil, err
	}
	file := l.PolicyID + ".stella (lesson " + l.ID + ")"
	next, change, err := lessons.Propose(l, file, src)
	if err != nil {
		return nil, err
	}
	c := &LessonDraft{Lesson: id, Source: next, Change: change}
	c.Transition, c.Compiled, err = r.Draft(ctx, a, l.PolicyID, file, next)
	if err != nil {
		return c, err
	}
	err = r.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := lessons.Transition(ctx, tx, id, lessons.EventConverted, a.Entry.Principal, func(l *store.Lesson) { l.Draft = c.Transition.Subject })
		return err
	})
	return c, err
}
