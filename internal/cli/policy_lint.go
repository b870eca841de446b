package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
)

type policyLintOptions struct {
	files  []string
	strict bool
}

func newPolicyLintCmd(app *App) *cobra.Command {
	opts := &policyLintOptions{}
	cmd := &cobra.Command{
		Use:   "lint FILE…",
		Short: "Check policies and report diagnostics (file:line:col, caret, code)",
		Long: `Lint compiles each stella-dsl@1 policy and reports every diagnostic:
syntax errors, unknown names (with "did you mean"), type errors, and lints
such as dsl.rule.missingBecause, dsl.rule.shadowed and dsl.rule.conflict.
The codes are listed in docs/dsl.md.

Exit status is 0 when no file has errors or blocking conflicts, and 2
otherwise; with --strict warnings count as errors too.`,
		Args: minArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.files = args
			return runPolicyLint(app, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.strict, "strict", false, "treat warnings as errors")
	return cmd
}

// lintSummary counts diagnostics by severity over all files.
type lintSummary struct {
	Files    int `json:"files"`
	Errors   int `json:"errors"`
	Blocking int `json:"blocking"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

type lintReport struct {
	Diagnostics []dsl.Diagnostic `json:"diagnostics"`
	Summary     lintSummary      `json:"summary"`
}

func runPolicyLint(app *App, opts *policyLintOptions) error {
	rep := lintReport{Diagnostics: []dsl.Diagnostic{}}
	srcs := make([][]byte, len(opts.files))
	counts := make([]int, len(opts.files))
	for i, file := range opts.files {
		src, err := dsl.ReadFile(file)
		if err != nil {
			return err
		}
		_, _, diags := dsl.Compile(file, src)
		srcs[i], counts[i] = src, len(diags)
		rep.Diagnostics = append(rep.Diagnostics, diags...)
	}
	s := &rep.Summary
	s.Files = len(opts.files)
	s.Errors = syntax.Count(rep.Diagnostics, syntax.Error)
	s.Blocking = syntax.Count(rep.Diagnostics, syntax.Blocking)
	s.Warnings = syntax.Count(rep.Diagnostics, syntax.Warning)
	s.Infos = syntax.Count(rep.Diagnostics, syntax.Info)
	var data any = rep
	if app.Global.Format == "ndjson" {
		data = rep.Diagnostics // one diagnostic a line
	}
	err := app.renderText(data, func(w io.Writer) error {
		at := 0
		for i := range opts.files {
			if err := syntax.Render(w, rep.Diagnostics[at:at+counts[i]], srcs[i]); err != nil {
				return err
			}
			at += counts[i]
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !app.Global.Quiet {
		fmt.Fprintf(app.Err, "%d %s: %d %s, %d blocking, %d %s\n", s.Files, plural(s.Files, "file", "files"),
			s.Errors, plural(s.Errors, "error", "errors"), s.Blocking, s.Warnings, plural(s.Warnings, "warning", "warnings"))
	}
	if s.Errors > 0 || s.Blocking > 0 || opts.strict && s.Warnings > 0 {
		return exitWith(fail.Invalid)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
