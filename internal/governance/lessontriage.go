package governance

import (
	"context"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/lessons"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Triage of lessons (docs/lessons.md): listing them and moving them along
// the state machine as an acting principal — defer, dismiss, reactivate
// here, convert in ConvertLesson. Deciding what happens to a lesson is a
// governed action like deciding over an exception; finding lessons is the
// detector's (internal/lessons, run after every recorded run).

// Lesson is a lesson as the lessons commands show it.
type Lesson store.Lesson

// ParseLessonID checks a lesson id (L-<n>).
func ParseLessonID(s string) (string, error) {
	var n int
	if _, err := fmt.Sscanf(s, "L-%d", &n); err != nil || n < 1 || fmt.Sprintf("L-%d", n) != s {
		return "", fail.New(fail.Invalid, "%q is not a lesson id (want L-<n>)", s)
	}
	return s, nil
}

// Lessons returns the tenant's lessons f selects (`lessons ls`: status and
// type, "" for any), never nil.
func Lessons(ctx context.Context, st *store.Store, f store.LessonFilter) ([]Lesson, error) {
	out := []Lesson{}
	err := st.View(ctx, func(tx *store.Tx) error {
		ls, err := tx.Lessons(ctx, f)
		for _, l := range ls {
			out = append(out, Lesson(l))
		}
		return err
	})
	return out, err
}

// GetLesson returns lesson id.
func GetLesson(ctx context.Context, st *store.Store, id string) (Lesson, error) {
	var l store.Lesson
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.Lesson(ctx, id)
		return err
	})
	return Lesson(l), err
}

// LessonMove is a transition of the state machine other than convert: the
// lesson (L-n), the verb (defer, dismiss, reactivate) and what the verb
// needs.
type LessonMove struct {
	ID     string
	Verb   string
	Until  string // defer: an RFC 3339 time, a date or an age (7d)
	Reason string // dismiss
}

// Event is the audit event of the move.
func (m LessonMove) Event() string {
	return map[string]string{"defer": lessons.EventDeferred, "dismiss": lessons.EventDismissed, "reactivate": lessons.EventReactivated}[m.Verb]
}

// Check refuses a move of what is not a lesson id (ParseLessonID) or
// without what its verb needs.
func (m LessonMove) Check() error {
	if _, err := ParseLessonID(m.ID); err != nil {
		return err
	}
	if m.Verb == "dismiss" && strings.TrimSpace(m.Reason) == "" {
		return fail.New(fail.Invalid, "dismiss needs --reason TEXT")
	}
	if m.Verb == "defer" && m.Until == "" {
		return fail.New(fail.Invalid, "defer needs --until TS|DATE|AGE")
	}
	return nil
}

// MoveLesson moves lesson m.ID as a and returns it moved.
func (r *Registry) MoveLesson(ctx context.Context, a *Actor, m LessonMove) (Lesson, error) {
	var until string
	if m.Verb == "defer" {
		var err error
		if until, err = lessons.ParseUntil(m.Until, r.Store.Now(), text.ParseAge); err != nil {
			return Lesson{}, err
		}
	}
	var l store.Lesson
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		l, err = lessons.Transition(ctx, tx, m.ID, m.Event(), a.Entry.Principal, func(l *store.Lesson) {
			switch m.Verb {
			case "defer":
				l.DeferredUntil = until
			case "dismiss":
				l.Reason = m.Reason
			case "reactivate":
				l.DeferredUntil = ""
			}
		})
		return err
	})
	return Lesson(l), err
}
