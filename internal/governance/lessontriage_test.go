package governance

import (
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/lessons"
)

func TestParseLessonID(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{{"L-1", true}, {"L-42", true}, {"L-0", false}, {"L-01", false}, {"L-1x", false}, {"l-1", false}, {"", false}} {
		id, err := ParseLessonID(c.in)
		if c.ok != (err == nil) || c.ok && id != c.in {
			t.Errorf("ParseLessonID(%q) = %q, %v", c.in, id, err)
		}
		if err != nil && !fail.Is(err, fail.Invalid) {
			t.Errorf("ParseLessonID(%q): %v is not an invalid-input error", c.in, err)
		}
	}
}

func TestLessonMoveCheck(t *testing.T) {
	for _, c := range []struct {
		m     LessonMove
		event string
		err   string
	}{
		{LessonMove{ID: "L-1", Verb: "defer", Until: "7d"}, lessons.EventDeferred, ""},
		{LessonMove{ID: "L-1", Verb: "defer"}, lessons.EventDeferred, "defer needs --until TS|DATE|AGE"},
		{LessonMove{ID: "L-2", Verb: "dismiss", Reason: "noise"}, lessons.EventDismissed, ""},
		{LessonMove{ID: "L-2", Verb: "dismiss", Reason: "  "}, lessons.EventDismissed, "dismiss needs --reason TEXT"},
		{LessonMove{ID: "L-3", Verb: "reactivate"}, lessons.EventReactivated, ""},
		{LessonMove{ID: "L-0", Verb: "dismiss"}, lessons.EventDismissed, `"L-0" is not a lesson id (want L-<n>)`}, // the id first
		{LessonMove{ID: "3", Verb: "reactivate"}, lessons.EventReactivated, `"3" is not a lesson id (want L-<n>)`},
	} {
		err := c.m.Check()
		if got := c.m.Event(); got != c.event {
			t.Errorf("%+v: event %q, want %q", c.m, got, c.event)
		}
		if (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("%+v: Check() = %v, want %q", c.m, err, c.err)
		}
	}
}
