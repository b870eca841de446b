package fail

import (
	"errors"
	"fmt"
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
