package policytest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/testenv"
)

// FuzzRun runs a `policy test` case written as a .txtar from arbitrary
// bytes — case.yaml, the inputs it carries, the archive format itself —
// and holds it to the contract: a report or an invalid-input error, never
// a panic or an internal error. The seeds are the repository's own cases,
// their policy path made absolute.
func FuzzRun(f *testing.F) {
	root := testenv.RepoRoot()
	pol := []byte(filepath.Join(root, "testdata", "simulate", "policy.stella"))
	for _, name := range []string{"vex-passes.txtar", "vex-shadowed.txtar"} {
		b, err := os.ReadFile(filepath.Join(root, "testdata", "policytest", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.ReplaceAll(b, []byte("../simulate/policy.stella"), pol))
	}
	f.Add([]byte("-- case.yaml --\nexpect: {verdict: nope}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "case.txtar"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), dir, "")
		if err != nil {
			if k := fail.KindOf(err); k == fail.Internal {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		if rep.Passed+rep.Failed != len(rep.Cases) {
			t.Fatalf("report counts %d+%d of %d cases", rep.Passed, rep.Failed, len(rep.Cases))
		}
	})
}
