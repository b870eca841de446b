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
