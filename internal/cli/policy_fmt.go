package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
)

type policyFmtOptions struct {
	check bool
	write bool
}

func newPolicyFmtCmd(app *App) *cobra.Command {
	opts := &policyFmtOptions{}
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
	f.BoolVar(&opts.check, "check", false, "list files whose formatting differs and exit 2 if any")
	f.BoolVarP(&opts.write, "write", "w", false, "write the result back to the files")
	cmd.MarkFlagsMutuallyExclusive("check", "write")
	return cmd
}

func runPolicyFmt(_ context.Context, app *App, opts *policyFmtOptions, args []string) error {
	bad, changed := false, false
	for _, file := range args {
		src, err := dsl.ReadFile(file)
		if err != nil {
			return err
		}
		out, diags, err := dsl.Format(file, src)
		if err != nil {
			return err
		}
		if dsl.HasErrors(diags) {
			if err := app.diagnostics(diags, src); err != nil {
				return err
			}
			bad = true
			continue
		}
		diff := !bytes.Equal(out, src)
		switch {
		case opts.check:
			if diff {
				changed = true
				fmt.Fprintln(app.Out, file)
			}
		case opts.write:
			if diff {
				info, err := os.Stat(file)
				if err != nil {
					return fail.New(fail.Invalid, "fmt: %v", err)
				}
				if err := writeFileAtomic(file, out, info.Mode().Perm()); err != nil {
					return err
				}
			}
		default:
			if _, err := app.Out.Write(out); err != nil {
				return err
			}
		}
	}
	if bad || changed {
		return fail.Reported(fail.Invalid)
	}
	return nil
}
