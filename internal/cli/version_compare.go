package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type versionCompareOptions struct {
	ecosystem string
}

func newVersionCompareCmd(app *App) *cobra.Command {
	opts := &versionCompareOptions{}
	cmd := &cobra.Command{
		Use:   "compare --ecosystem E [A B]",
		Short: "Compare two versions with an ecosystem's ordering: prints <, = or >",
		Long: `Compare versions with the ordering of an OSV ecosystem (npm, Go, PyPI, Maven,
Debian, Ubuntu, Red Hat, Alpine, NuGet, RubyGems, Packagist, crates.io, Hex,
Pub, CRAN, Hackage, …; a release suffix such as Debian:12 is allowed; SEMVER
selects plain SemVer 2.0). With A and B it prints one of <, = or >. Without
them it reads "A B" pairs from stdin, one per line, and prints one symbol per
line; an invalid line stops it with exit code 2, naming the line.

With --format json, yaml or ndjson each comparison is an object
{"ecosystem","a","b","result"}.

Examples:
  stella version compare --ecosystem Debian 1:2.30-1 2.31-1   # >
  printf '1.0.0 1.0.0-rc.1\n' | stella version compare --ecosystem npm`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return fail.New(fail.Invalid, "want two versions A B, or none to read pairs from stdin (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: runE(app, opts, runVersionCompare),
	}
	cmd.Flags().StringVarP(&opts.ecosystem, "ecosystem", "e", "", "OSV ecosystem whose ordering to use (required)")
	return cmd
}

func runVersionCompare(_ context.Context, app *App, opts *versionCompareOptions, args []string) error {
	out := report.NewComparisons(app.Out, app.Global.Format, len(args) == 2)
	return out.Close(run.VersionCompare(opts.ecosystem, args, app.In, out.Add))
}
