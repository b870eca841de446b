package cli

import (
	"context"
	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/report"
)

func newPolicyLintCmd(app *App) *cobra.Command {
	opts := &dsl.LintRequest{}
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
		RunE: runE(app, opts, runPolicyLint),
	}
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat warnings as errors")
	return cmd
}

func runPolicyLint(_ context.Context, app *App, opts *dsl.LintRequest, args []string) error {
	rep, err := opts.Lint(args)
	if err != nil {
		return err
	}
	var data any = rep
	if app.Global.Format == "ndjson" {
		data = rep.Diagnostics // one diagnostic a line
	}
	if err := app.renderText(data, rep.Render); err != nil {
		return err
	}
	app.infof("%s", report.LintSummary(rep.Summary))
	return rep.Err()
}
