package lessons

import (
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestParseID(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{{"L-1", true}, {"L-42", true}, {"L-0", false}, {"L-01", false}, {"L-1x", false}, {"l-1", false}, {"", false}} {
		id, err := ParseID(c.in)
		if c.ok != (err == nil) || c.ok && id != c.in {
			t.Errorf("ParseID(%q) = %q, %v", c.in, id, err)
		}
		if err != nil && !fail.Is(err, fail.Invalid) {
			t.Errorf("ParseID(%q): %v is not an invalid-input error", c.in, err)
		}
	}
}

func TestMoveCheck(t *testing.T) {
	for _, c := range []struct {
		m     Move
		event string
		err   string
	}{
		{Move{Verb: "defer", Until: "7d"}, EventDeferred, ""},
		{Move{Verb: "defer"}, EventDeferred, "defer needs --until TS|DATE|AGE"},
		{Move{Verb: "dismiss", Reason: "noise"}, EventDismissed, ""},
		{Move{Verb: "dismiss", Reason: "  "}, EventDismissed, "dismiss needs --reason TEXT"},
		{Move{Verb: "reactivate"}, EventReactivated, ""},
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
