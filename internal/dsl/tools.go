package dsl

import (
	"io"

	"github.com/stella-policy/stella/internal/dsl/check"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
)

// This file is the body of the authoring commands, `policy fmt` and
// `policy lint` (docs/dsl.md); the CLI wires their flags.

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

// LintReport is `policy lint` over files: every diagnostic, file by file,
// and their counts by severity.
type LintReport struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
	Summary     LintSummary  `json:"summary"`
	srcs        [][]byte     // each file's source, for Render
	counts      []int        // each file's number of diagnostics
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
func Lint(files []string) (*LintReport, error) {
	rep := &LintReport{Diagnostics: []Diagnostic{}, srcs: make([][]byte, len(files)), counts: make([]int, len(files))}
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

// Failed reports whether the lint fails: an error or a blocking conflict,
// or with strict a warning.
func (s LintSummary) Failed(strict bool) bool {
	return s.Errors > 0 || s.Blocking > 0 || strict && s.Warnings > 0
}
