package governance

import (
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
)

// TestAuthorize: the scope check of policy run and simulate --record.
func TestAuthorize(t *testing.T) {
	w := newWorld(t, 1)
	stranger, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	public, err := attest.ParsePEM("pub", mustPublicPEM(t, w.keys["alice"]))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		key   *attest.Key
		scope string
		guard string // "" when allowed
		want  string // in the refusal
	}{
		{"holder", w.keys["alice"], ScopePolicySimulate, "", ""},
		{"missing scope", w.keys["bob"], ScopePolicyRun, GuardScope, "missing scope policy:run: principal bob"},
		{"no key", nil, ScopePolicyRun, GuardScope, "missing scope policy:run: " + w.reg.Trust.Path + " is in force and no key acts for this command; HINT"},
		{"untrusted key", stranger, ScopePolicySimulate, GuardTrust, "is not in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := w.reg.Authorize(tt.key, tt.scope, "HINT")
			if tt.guard == "" {
				if err != nil || a.Entry.Principal != "alice" {
					t.Fatalf("Authorize = %v, %v; want alice", a, err)
				}
				return
			}
			if !fail.Is(err, fail.Governance) || GuardOf(err) != tt.guard || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Authorize: %v (guard %q); want guard %s with %q", err, GuardOf(err), tt.guard, tt.want)
			}
		})
	}
	if _, err := w.reg.Authorize(public, ScopePolicySimulate, "HINT"); !fail.Is(err, fail.Invalid) {
		t.Errorf("a public key acting: %v; want an invalid-usage error", err)
	}
}

func mustPublicPEM(t *testing.T, k *attest.Key) []byte {
	t.Helper()
	b, err := k.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
