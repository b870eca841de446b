package governance

import (
	"context"
	"errors"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
)

// TestRunPolicyChecks covers what is decided about a run's policy before
// it runs without a database: --expect-ir-digest, the governance of a
// policy file with no trust config, and errors that are no IR mismatch.
func TestRunPolicyChecks(t *testing.T) {
	p := &run.Policy{ID: "P-1", Version: 2, Digest: "sha256:aa"}
	for _, tc := range []struct {
		want     string
		mismatch bool
	}{{"", false}, {"sha256:aa", false}, {"sha256:bb", true}} {
		err := ExpectIRDigest(p, tc.want)
		var m *IRMismatch
		if got := errors.As(err, &m); got != tc.mismatch || (got && (fail.KindOf(err) != fail.Integrity || m.Reason != IRExpected || m.Got != p.Digest)) {
			t.Errorf("ExpectIRDigest(%q) = %v", tc.want, err)
		}
	}
	state, set, err := GatePolicy(context.Background(), nil, nil, &run.Policy{ID: "gate", Digest: "sha256:aa"}, false)
	if state != "" || set != "" || err != nil {
		t.Errorf("a policy file without a trust config: %q %q %v", state, set, err)
	}
	other := fail.New(fail.NotFound, "no such policy")
	if err := StoredIRMismatch(context.Background(), nil, other, "P-1@2", "latest"); err != other {
		t.Errorf("StoredIRMismatch changed %v into %v", other, err)
	}
}
