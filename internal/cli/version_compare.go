package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/version"
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
		RunE: func(_ *cobra.Command, args []string) error {
			return runVersionCompare(app, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.ecosystem, "ecosystem", "e", "", "OSV ecosystem whose ordering to use (required)")
	return cmd
}

// comparison is one compared pair in structured output.
type comparison struct {
	Ecosystem string `json:"ecosystem"`
	A         string `json:"a"`
	B         string `json:"b"`
	Result    string `json:"result"`
}

func symbol(c int) string {
	switch {
	case c < 0:
		return "<"
	case c > 0:
		return ">"
	}
	return "="
}

func runVersionCompare(app *App, opts *versionCompareOptions, args []string) error {
	eco := opts.ecosystem
	if eco == "" {
		return fail.New(fail.Invalid, "--ecosystem is required (npm, Go, PyPI, Maven, Debian, …)")
	}
	if !version.Supported(eco) {
		return fail.New(fail.Invalid, "--ecosystem %q: no version ordering is known for it", eco)
	}
	structured := app.Global.Format != "" && app.Global.Format != "table"
	if len(args) == 2 {
		c, err := version.Compare(eco, args[0], args[1])
		if err != nil {
			return fail.Wrap(fail.Invalid, err)
		}
		if structured {
			return app.render(comparison{eco, args[0], args[1], symbol(c)}, nil)
		}
		_, err = fmt.Fprintln(app.Out, symbol(c))
		return err
	}

	w := bufio.NewWriterSize(app.Out, 64<<10)
	sc := bufio.NewScanner(app.In)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var rows []comparison
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			w.Flush()
			return fail.New(fail.Invalid, "stdin:%d: want two versions \"A B\", got %q", n, line)
		}
		c, err := version.Compare(eco, f[0], f[1])
		if err != nil {
			w.Flush()
			return fail.New(fail.Invalid, "stdin:%d: %v", n, err)
		}
		if structured {
			rows = append(rows, comparison{eco, f[0], f[1], symbol(c)})
			continue
		}
		w.WriteString(symbol(c))
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		return fail.New(fail.Invalid, "stdin: %v", err)
	}
	if structured {
		if rows == nil {
			rows = []comparison{}
		}
		return app.render(rows, nil)
	}
	return w.Flush()
}
