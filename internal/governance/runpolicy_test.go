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

// TestGateSet: without a trust config a set of policy files passes, with
// no lifecycle state to record.
func TestGateSet(t *testing.T) {
	p, err := run.Compile("gate.stella", []byte(`policy "gate" syntax "stella-dsl@1" {
  rule r priority 1 {
    when advisory.has_tag("kev")
    then status := "blocked"
    because "KEV."
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	ms := []run.Member{{Policy: p, Ref: "gate.stella"}}
	if err := GateSet(context.Background(), nil, nil, ms, false); err != nil || ms[0].Lifecycle != "" {
		t.Fatalf("a set of files without a trust config: %v %+v", err, ms[0])
	}
}
