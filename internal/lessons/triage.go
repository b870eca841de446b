package lessons

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// ParseID checks a lesson id (L-<n>).
func ParseID(s string) (string, error) {
	var n int
	if _, err := fmt.Sscanf(s, "L-%d", &n); err != nil || n < 1 || fmt.Sprintf("L-%d", n) != s {
		return "", fail.New(fail.Invalid, "%q is not a lesson id (want L-<n>)", s)
	}
	return s, nil
}

// List returns the tenant's lessons with the status and type given ("":
// any), never nil.
func List(ctx context.Context, st *store.Store, status, typ string) ([]store.Lesson, error) {
	var ls []store.Lesson
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		ls, err = tx.Lessons(ctx, store.LessonFilter{Status: status, Type: typ})
		return err
	})
	if ls == nil {
		ls = []store.Lesson{}
	}
	return ls, err
}

// Get returns lesson id.
func Get(ctx context.Context, st *store.Store, id string) (store.Lesson, error) {
	var l store.Lesson
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.Lesson(ctx, id)
		return err
	})
	return l, err
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

// Move is a transition of the state machine other than convert: its verb
// (defer, dismiss, reactivate) and what the verb needs.
type Move struct {
	Verb   string
	Until  string // defer: an RFC 3339 time, a date or an age (7d)
	Reason string // dismiss
}

// Event is the audit event of the move.
func (m Move) Event() string {
	return map[string]string{"defer": EventDeferred, "dismiss": EventDismissed, "reactivate": EventReactivated}[m.Verb]
}

// Check refuses a move without what its verb needs.
func (m Move) Check() error {
	if m.Verb == "dismiss" && strings.TrimSpace(m.Reason) == "" {
		return fail.New(fail.Invalid, "dismiss needs --reason TEXT")
	}
	if m.Verb == "defer" && m.Until == "" {
		return fail.New(fail.Invalid, "defer needs --until TS|DATE|AGE")
	}
	return nil
}

// Apply moves lesson id as principal and returns it moved; age reads the
// ages --until may be given as (governance.ParseAge).
func (m Move) Apply(ctx context.Context, st *store.Store, id, principal string, age func(string) (time.Duration, error)) (store.Lesson, error) {
	var until string
	if m.Verb == "defer" {
		var err error
		if until, err = ParseUntil(m.Until, st.Now(), age); err != nil {
			return store.Lesson{}, err
		}
	}
	var l store.Lesson
	err := st.Update(ctx, func(tx *store.Tx) error {
		var err error
		l, err = Transition(ctx, tx, id, m.Event(), principal, func(l *store.Lesson) {
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
	return l, err
}
