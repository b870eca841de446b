package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
)

func newPolicyFmtCmd(app *App) *cobra.Command {
	opts := &dsl.FmtRequest{}
	cmd := &cobra.Command{
		Use:   "fmt FILE…",
		Short: "Format policies canonically",
		Long: `Fmt prints each policy in canonical layout (the printer of docs/dsl.md):
comments are kept, and formatting never changes the compiled digest.
With -w it rewrites files that change; with --check it lists them and exits
2 if there is any. A file with syntax errors is reported and left alone.`,
		Args: minArgs(1),
		RunE: runE(app, opts, runPolicyFmt),
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Check, "check", false, "list files whose formatting differs and exit 2 if any")
	f.BoolVarP(&opts.Write, "write", "w", false, "write the result back to the files")
	cmd.MarkFlagsMutuallyExclusive("check", "write")
	return cmd
}

func runPolicyFmt(_ context.Context, app *App, opts *dsl.FmtRequest, args []string) error {
	return opts.Fmt(args, app.Out, app.diagnostics)
}
