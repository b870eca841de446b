package cli

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
)

type policyCompileOptions struct {
	out       string
	digest    bool
	sourceMap string
}

func newPolicyCompileCmd(app *App) *cobra.Command {
	opts := &policyCompileOptions{}
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
	f.StringVarP(&opts.out, "out", "o", "", "write the IR to this file")
	f.BoolVar(&opts.digest, "digest", false, "print the IR digest (sha256:…)")
	f.StringVar(&opts.sourceMap, "source-map", "", "write the source map (rule positions and condition text) to this file")
	return cmd
}

func runPolicyCompile(_ context.Context, app *App, opts *policyCompileOptions, args []string) error {
	src, err := dsl.ReadFile(args[0])
	if err != nil {
		return err
	}
	res := dsl.CompileResult(args[0], src)
	if err := app.compilerDiagnostics(res.Diagnostics, src); err != nil {
		return err
	}
	if res.Policy == nil {
		return fail.Reported(fail.Invalid)
	}
	var sm []byte
	if opts.sourceMap != "" {
		var buf bytes.Buffer
		if err := report.JSON(&buf, res.SourceMap); err != nil {
			return err
		}
		sm = buf.Bytes()
	}
	if opts.out != "" {
		if err := writeFileAtomic(opts.out, res.IR, 0o644); err != nil {
			return err
		}
	}
	if sm != nil {
		if err := writeFileAtomic(opts.sourceMap, sm, 0o644); err != nil {
			return err
		}
	}
	switch {
	case opts.digest:
		_, err = fmt.Fprintln(app.Out, res.Digest)
	case opts.out == "":
		_, err = app.Out.Write(res.IR)
	}
	return err
}
