package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
)

// TestNewPolicy: policy new registers an existing file, scaffolds a
// starter gate named after a new file, and refuses --id with --scaffold, a
// file that exists (keeping it) and a missing file to register.
func TestNewPolicy(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.stella")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		req     NewPolicy
		policy  string // the policy name written; "" when refused
		refusal string
	}{
		{"named after the file", NewPolicy{Scaffold: true, File: filepath.Join(dir, "gate.stella")}, `policy "gate"`, ""},
		{"a name a policy cannot have", NewPolicy{Scaffold: true, File: filepath.Join(dir, `a"b.stella`)}, `policy "CI gate"`, ""},
		{"--id does not apply", NewPolicy{Scaffold: true, ID: "P-1", File: filepath.Join(dir, "x.stella")}, "", "--id does not apply"},
		{"never overwrites", NewPolicy{Scaffold: true, File: existing}, "", "exists; give a new file name"},
		{"no directory", NewPolicy{Scaffold: true, File: filepath.Join(dir, "none", "g.stella")}, "", "write "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.WriteScaffold()
			if tc.refusal != "" {
				if fail.KindOf(err) != fail.Invalid || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("got %v, want an invalid-input error saying %q", err, tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			src, err := tc.req.Source()
			if err != nil || !strings.Contains(string(src), tc.policy) {
				t.Fatalf("%v: the scaffold does not declare %s", err, tc.policy)
			}
			if _, _, ds := dsl.Compile(tc.req.File, src); dsl.HasErrors(ds) {
				t.Fatalf("the scaffold does not compile: %v", ds)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("an existing file was replaced: %q", b)
	}
	if _, err := (NewPolicy{File: filepath.Join(dir, "missing.stella")}).Source(); fail.KindOf(err) != fail.Invalid || !strings.Contains(err.Error(), "stella policy new --scaffold") {
		t.Errorf("a missing file: %v", err)
	}
}
