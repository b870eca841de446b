package fail

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"plain", errors.New("x"), Internal},
		{"new", New(NotFound, "run %q", "r1"), NotFound},
		{"wrapped by fmt", fmt.Errorf("ctx: %w", New(Integrity, "bad")), Integrity},
		{"rewrapped", Wrap(Sealed, New(Invalid, "x")), Sealed},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %d, want %d", tt.name, got, tt.want)
		}
	}
	if Wrap(Invalid, nil) != nil {
		t.Error("Wrap(nil) != nil")
	}
	if got := New(Invalid, "a %d", 1).Error(); got != "a 1" {
		t.Errorf("message %q", got)
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("x"), 1},
		{"kind", fmt.Errorf("ctx: %w", New(NotFound, "x")), 4},
		{"reported", Reported(Blocked), 20},
		{"reported, wrapped", fmt.Errorf("ctx: %w", Reported(Integrity)), 6},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("%s: Code = %d, want %d", tt.name, got, tt.want)
		}
	}
	if IsReported(New(Invalid, "x")) || !IsReported(Reported(Invalid)) {
		t.Error("IsReported")
	}
}

func TestIsVerdict(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("x"), false},
		{New(Invalid, "x"), false},
		{Reported(Blocked), true},
		{fmt.Errorf("ctx: %w", New(Warned, "x")), true},
		{Reported(Integrity), false},
	}
	for _, tt := range tests {
		if got := IsVerdict(tt.err); got != tt.want {
			t.Errorf("IsVerdict(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestUnwritten(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "dir/.stella-123", Err: fs.ErrPermission}, "write out.json: permission denied"},
		{errors.New("disk full"), "write out.json: disk full"},
	}
	for _, tt := range tests {
		err := Unwritten("out.json", tt.err)
		if err.Error() != tt.want || KindOf(err) != Invalid {
			t.Errorf("Unwritten(%v) = %v (kind %d), want %q (kind 2)", tt.err, err, KindOf(err), tt.want)
		}
	}
}

// TestCodesDistinct checks that no exit code has two meanings.
func TestCodesDistinct(t *testing.T) {
	seen := map[Kind]bool{}
	for _, c := range Codes {
		if seen[c.Kind] {
			t.Errorf("exit code %d listed twice", c.Kind)
		}
		seen[c.Kind] = true
	}
}
