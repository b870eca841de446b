package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
)

func newPolicyCompileCmd(app *App) *cobra.Command {
	opts := &dsl.CompileRequest{}
	cmd := &cobra.Command{
		Use:   "compile FILE",
		Short: "Compile a policy to canonical IR JSON and its sha256 digest",
		Long: `Compile writes the policy's IR as canonical JSON (RFC 8785), so that
sha256sum of the written file equals the digest. Without -o the IR goes to
stdout (no trailing newline); --digest prints the digest line instead (and,
with -o, as well as writing the file). Diagnostics go to stderr; on errors
nothing is written and the exit status is 2. The IR schema is in docs/ir.md.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyCompile),
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "", "write the IR to this file")
	f.BoolVar(&opts.Digest, "digest", false, "print the IR digest (sha256:…)")
	f.StringVar(&opts.SourceMap, "source-map", "", "write the source map (rule positions and condition text) to this file")
	return cmd
}

func runPolicyCompile(_ context.Context, app *App, opts *dsl.CompileRequest, args []string) error {
	return opts.Compile(args[0], app.Out, app.compilerDiagnostics)
}
