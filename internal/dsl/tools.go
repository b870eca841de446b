package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/stella-policy/stella/internal/atomicfile"
	"github.com/stella-policy/stella/internal/dsl/check"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
)

// This file is the body of the authoring commands, `policy fmt`, `policy
// lint` and `policy compile` (docs/dsl.md, docs/ir.md); the CLI wires their
// flags and says where diagnostics go.

// DiagFunc writes diagnostics found in src (on stderr, for the CLI).
type DiagFunc func(ds []Diagnostic, src []byte) error

// Render writes diagnostics as text: file:line:col: message, the source
// line and a caret.
func Render(w io.Writer, ds []Diagnostic, src []byte) error { return syntax.Render(w, ds, src) }

// Nearest is the "did you mean" rule of policy names, also used for the
// CLI's config keys (docs/config.md): the candidate closest to name, if it
// is a plausible typo.
func Nearest(name string, candidates []string) (string, bool) { return check.Nearest(name, candidates) }

// Format returns src in canonical layout (the printer of docs/dsl.md). A
// source with syntax errors gives its diagnostics and no output.
func Format(file string, src []byte) ([]byte, []Diagnostic, error) {
	f, diags := syntax.Parse(file, src)
	if syntax.HasErrors(diags) {
		return nil, diags, nil
	}
	out := syntax.Print(f)
	if _, d2 := syntax.Parse(file, out); syntax.HasErrors(d2) {
		return nil, nil, fail.New(fail.Internal, "fmt %s: the formatted text does not parse: %s", file, d2[0])
	}
	return out, nil, nil
}

// FmtRequest is `policy fmt`: with neither Check nor Write each file is
// printed in canonical layout.
type FmtRequest struct {
	Check bool // list the files whose layout differs
	Write bool // rewrite the files whose layout differs, in place
}

// Fmt formats files in order, writing the canonical text or (Check) the
// names of the files that differ to out, or (Write) rewriting them. A file
// with syntax errors goes to diag and is left alone. It fails as reported
// (exit 2) when a file had errors or, with Check, differs.
func (r FmtRequest) Fmt(files []string, out io.Writer, diag DiagFunc) error {
	bad, changed := false, false
	for _, file := range files {
		src, err := ReadFile(file)
		if err != nil {
			return err
		}
		text, diags, err := Format(file, src)
		if err != nil {
			return err
		}
		if HasErrors(diags) {
			if err := diag(diags, src); err != nil {
				return err
			}
			bad = true
			continue
		}
		diff := !bytes.Equal(text, src)
		switch {
		case r.Check:
			if diff {
				changed = true
				fmt.Fprintln(out, file)
			}
		case r.Write:
			if diff {
				info, err := os.Stat(file)
				if err != nil {
					return fail.New(fail.Invalid, "fmt: %v", err)
				}
				if err := write(file, text, info.Mode().Perm()); err != nil {
					return err
				}
			}
		default:
			if _, err := out.Write(text); err != nil {
				return err
			}
		}
	}
	if bad || changed {
		return fail.Reported(fail.Invalid)
	}
	return nil
}

// CompileRequest is `policy compile` (docs/ir.md): the files the IR and
// its source map are written to, and whether the digest is printed.
type CompileRequest struct {
	Out       string // the IR file; "" prints the IR unless Digest
	Digest    bool   // print the IR digest line (sha256:…)
	SourceMap string // the source map file (indented JSON); "" writes none
}

// Compile compiles file, gives its diagnostics to diag, and writes what r
// asks: the files, then the digest line or the IR (no trailing newline) to
// out. A policy with errors writes nothing and fails as reported (exit 2).
func (r CompileRequest) Compile(file string, out io.Writer, diag DiagFunc) error {
	src, err := ReadFile(file)
	if err != nil {
		return err
	}
	res := CompileResult(file, src)
	if err := diag(res.Diagnostics, src); err != nil {
		return err
	}
	if res.Policy == nil {
		return fail.Reported(fail.Invalid)
	}
	var sm bytes.Buffer
	if r.SourceMap != "" {
		enc := json.NewEncoder(&sm)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.SourceMap); err != nil {
			return err
		}
	}
	if r.Out != "" {
		if err := write(r.Out, res.IR, 0o644); err != nil {
			return err
		}
	}
	if r.SourceMap != "" {
		if err := write(r.SourceMap, sm.Bytes(), 0o644); err != nil {
			return err
		}
	}
	switch {
	case r.Digest:
		_, err = fmt.Fprintln(out, res.Digest)
	case r.Out == "":
		_, err = out.Write(res.IR)
	}
	return err
}

// write writes a file the command names, atomically.
func write(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.Write(path, data, perm); err != nil {
		return fail.Unwritten(path, err)
	}
	return nil
}

// LintRequest is `policy lint`: Strict fails on warnings too.
type LintRequest struct {
	Strict bool
}

// LintReport is `policy lint` over files: every diagnostic, file by file,
// and their counts by severity.
type LintReport struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
	Summary     LintSummary  `json:"summary"`
	srcs        [][]byte     // each file's source, for Render
	counts      []int        // each file's number of diagnostics
	strict      bool
}

// LintSummary counts diagnostics by severity over all files.
type LintSummary struct {
	Files    int `json:"files"`
	Errors   int `json:"errors"`
	Blocking int `json:"blocking"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Lint compiles every file and collects its diagnostics.
func (r LintRequest) Lint(files []string) (*LintReport, error) {
	rep := &LintReport{Diagnostics: []Diagnostic{}, srcs: make([][]byte, len(files)), counts: make([]int, len(files)), strict: r.Strict}
	for i, file := range files {
		src, err := ReadFile(file)
		if err != nil {
			return nil, err
		}
		diags := CompileResult(file, src).Diagnostics
		rep.srcs[i], rep.counts[i] = src, len(diags)
		rep.Diagnostics = append(rep.Diagnostics, diags...)
	}
	s := &rep.Summary
	s.Files = len(files)
	s.Errors = syntax.Count(rep.Diagnostics, Error)
	s.Blocking = syntax.Count(rep.Diagnostics, Blocking)
	s.Warnings = syntax.Count(rep.Diagnostics, Warning)
	s.Infos = syntax.Count(rep.Diagnostics, Info)
	return rep, nil
}

// Render writes the report's diagnostics as text, file by file.
func (r *LintReport) Render(w io.Writer) error {
	at := 0
	for i, n := range r.counts {
		if err := Render(w, r.Diagnostics[at:at+n], r.srcs[i]); err != nil {
			return err
		}
		at += n
	}
	return nil
}

// Err is how the lint ends: it fails as reported (exit 2) on an error or
// a blocking conflict, or under Strict a warning.
func (r *LintReport) Err() error {
	if s := r.Summary; s.Errors > 0 || s.Blocking > 0 || r.strict && s.Warnings > 0 {
		return fail.Reported(fail.Invalid)
	}
	return nil
}
