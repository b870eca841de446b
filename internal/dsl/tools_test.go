package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ name, src, want, diag string }{
		{"canonical layout", "policy \"p\" syntax \"stella-dsl@1\" {\nrule r priority 1 { when severity.normalized == \"High\" then status := \"affected\" because \"x\" }\n}\n", "rule r priority 1 {", ""},
		{"a syntax error gives diagnostics, no output", "policy \"p\" {", "", "error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, diags, err := Format("p.stella", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			if c.diag != "" {
				if out != nil || !HasErrors(diags) {
					t.Fatalf("out %q, diags %v", out, diags)
				}
				return
			}
			if len(diags) > 0 || !strings.Contains(string(out), c.want) {
				t.Fatalf("out %q, diags %v", out, diags)
			}
			again, _, _ := Format("p.stella", out)
			if string(again) != string(out) {
				t.Errorf("formatting is not idempotent:\n%s\n%s", out, again)
			}
		})
	}
}

func TestLintFiles(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.stella"), filepath.Join(dir, "bad.stella")
	src, err := os.ReadFile("../../testdata/simulate/policy.stella")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(good, src, 0o644)
	os.WriteFile(bad, []byte("policy \"p\" {"), 0o644)
	rep, err := Lint([]string{good, bad})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Summary; s.Files != 2 || s.Errors == 0 || !s.Failed(false) {
		t.Errorf("summary %+v", s)
	}
	var b strings.Builder
	if err := rep.Render(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), bad+":1:") {
		t.Errorf("rendered:\n%s", b.String())
	}
	if _, err := Lint([]string{filepath.Join(dir, "missing.stella")}); err == nil {
		t.Error("a missing file is not an error")
	}
	if (LintSummary{Warnings: 1}).Failed(false) || !(LintSummary{Warnings: 1}).Failed(true) {
		t.Error("warnings fail only under strict")
	}
}
