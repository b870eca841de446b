package run

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
)

// TestNamed: an evaluation refused by the cost limit names the policy file
// (exit 2); other errors and stored versions are left as they are.
func TestNamed(t *testing.T) {
	cost := fail.New(fail.Invalid, "policy P: %w: 2000 rules × 2501 findings", engine.ErrCostLimit)
	other := fail.New(fail.Internal, "boom")
	for _, tc := range []struct {
		name string
		file string
		err  error
		want string
		kind fail.Kind
	}{
		{"file over the cost limit", "gate.stella", cost, "gate.stella: policy P: evaluation cost limit: 2000 rules × 2501 findings", fail.Invalid},
		{"stored version", "", cost, "policy P: evaluation cost limit: 2000 rules × 2501 findings", fail.Invalid},
		{"other error", "gate.stella", other, "boom", fail.Internal},
		{"no error", "gate.stella", nil, "<nil>", fail.Kind(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Policy{File: tc.file}).named(tc.err)
			if got := fmt.Sprint(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if err != nil && (fail.KindOf(err) != tc.kind || errors.Is(tc.err, engine.ErrCostLimit) != errors.Is(err, engine.ErrCostLimit)) {
				t.Fatalf("kind %v, want %v", fail.KindOf(err), tc.kind)
			}
		})
	}
}
