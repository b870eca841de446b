package governance

import (
	"strings"
	"testing"
)

// TestRunRequestCheck: the flag combinations policy run refuses before
// anything is read (exit 2), moved from the CLI (docs/governance.md
// "Recording a set").
func TestRunRequestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		req  RunRequest
		want string // "" → accepted
	}{
		{"policy", RunRequest{Policy: "P-1", FailOn: "blocked"}, ""},
		{"set", RunRequest{Set: "active", FailOn: "never"}, ""},
		{"bundle alone", RunRequest{Bundle: "kit.tar.zst", FailOn: "warned"}, ""},
		{"nothing to run", RunRequest{FailOn: "blocked"}, "policy run needs POLICY (or --set, or --bundle KIT)"},
		{"set and policy", RunRequest{Set: "active", Policy: "P-1"}, "--set replaces POLICY"},
		{"set and bundle", RunRequest{Set: "P-1,P-2", Bundle: "kit.tar.zst"}, "--set does not apply to --bundle"},
		{"set and expect-ir", RunRequest{Set: "active", ExpectIR: "sha256:00"}, "--expect-ir-digest names one policy's IR; it does not apply to --set"},
		{"bad label", RunRequest{Policy: "P-1", FailOn: "blocked", Labels: []string{"main", "-x"}}, "-x"},
		{"bad fail-on", RunRequest{Policy: "P-1", FailOn: "new-blocked"}, "new-blocked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Check()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want a refusal saying %q", err, c.want)
			}
		})
	}
}
