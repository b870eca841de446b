package dsl

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
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
	rep, err := LintRequest{}.Lint([]string{good, bad})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Summary; s.Files != 2 || s.Errors == 0 || fail.Code(rep.Err()) != 2 {
		t.Errorf("summary %+v, %v", s, rep.Err())
	}
	var b strings.Builder
	if err := rep.Render(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), bad+":1:") {
		t.Errorf("rendered:\n%s", b.String())
	}
	if _, err := (LintRequest{}).Lint([]string{filepath.Join(dir, "missing.stella")}); err == nil {
		t.Error("a missing file is not an error")
	}
	warned := func(strict bool) error {
		return (&LintReport{Summary: LintSummary{Warnings: 1}, strict: strict}).Err()
	}
	if warned(false) != nil || !fail.IsReported(warned(true)) {
		t.Error("warnings fail only under strict")
	}
}

func TestFmtRequest(t *testing.T) {
	const messy = "policy \"p\" syntax \"stella-dsl@1\" {\nrule r priority 1 { when severity.normalized == \"High\" then status := \"affected\" because \"x\" }\n}\n"
	tidy, _, err := Format("p.stella", []byte(messy))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		req        FmtRequest
		src        string
		out, file  string // stdout, and the file afterwards
		fails, dia bool
	}{
		{"prints the canonical layout", FmtRequest{}, messy, string(tidy), messy, false, false},
		{"check lists a file that differs", FmtRequest{Check: true}, messy, "FILE\n", messy, true, false},
		{"check passes a tidy file", FmtRequest{Check: true}, string(tidy), "", string(tidy), false, false},
		{"write rewrites", FmtRequest{Write: true}, messy, "", string(tidy), false, false},
		{"a syntax error is reported and left alone", FmtRequest{Write: true}, "policy \"p\" {", "", "policy \"p\" {", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "p.stella")
			os.WriteFile(file, []byte(c.src), 0o600)
			var out strings.Builder
			diagnosed := false
			err := c.req.Fmt([]string{file}, &out, func([]Diagnostic, []byte) error { diagnosed = true; return nil })
			if (err != nil) != c.fails || c.fails && !fail.IsReported(err) || diagnosed != c.dia {
				t.Fatalf("err %v, diagnostics %v", err, diagnosed)
			}
			if got := strings.ReplaceAll(out.String(), file, "FILE"); got != c.out {
				t.Errorf("stdout %q, want %q", got, c.out)
			}
			b, _ := os.ReadFile(file)
			if string(b) != c.file {
				t.Errorf("file %q, want %q", b, c.file)
			}
			if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want the file's own 0600", fi.Mode())
			}
		})
	}
}

func TestCompileRequest(t *testing.T) {
	src := "../../testdata/simulate/policy.stella"
	res := CompileResult(src, mustRead(t, src))
	for _, c := range []struct {
		name   string
		req    CompileRequest
		out    string
		ir, sm bool
	}{
		{"the IR on stdout, no newline", CompileRequest{}, string(res.IR), false, false},
		{"the digest line", CompileRequest{Digest: true}, res.Digest + "\n", false, false},
		{"the IR to a file", CompileRequest{Out: "ir.json"}, "", true, false},
		{"a file and the digest, and the source map", CompileRequest{Out: "ir.json", Digest: true, SourceMap: "sm.json"}, res.Digest + "\n", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range []*string{&c.req.Out, &c.req.SourceMap} {
				if *p != "" {
					*p = filepath.Join(dir, *p)
				}
			}
			var out strings.Builder
			if err := c.req.Compile(src, &out, func([]Diagnostic, []byte) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if out.String() != c.out {
				t.Errorf("stdout %.40q, want %.40q", out.String(), c.out)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "ir.json")); c.ir != (err == nil) || c.ir && string(b) != string(res.IR) {
				t.Errorf("ir.json: %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "sm.json")); c.sm != (err == nil) || c.sm && !strings.Contains(string(b), "\n  \""+`digest": "`+res.Digest) {
				t.Errorf("sm.json: %v\n%.200s", err, b)
			}
		})
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.stella")
	os.WriteFile(bad, []byte("policy \"p\" {"), 0o644)
	var diags []Diagnostic
	err := CompileRequest{Out: filepath.Join(dir, "ir.json")}.Compile(bad, io.Discard, func(ds []Diagnostic, _ []byte) error { diags = ds; return nil })
	if !fail.IsReported(err) || fail.Code(err) != 2 || !HasErrors(diags) {
		t.Errorf("a policy with errors: %v, %v", err, diags)
	}
	if _, err := os.Stat(filepath.Join(dir, "ir.json")); err == nil {
		t.Error("a policy with errors wrote its IR")
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
