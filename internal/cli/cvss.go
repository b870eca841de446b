package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

func newCvssCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "cvss [VECTOR...]",
		Short: "Score CVSS v2, v3.0, v3.1 and v4.0 vectors",
		Long: `Score CVSS vectors: base, temporal (v2/v3) or threat (v4) and environmental
scores, the most specific score and its severity, computed as the FIRST
reference calculators do. Vectors come from the arguments, or from stdin one
per line (blank lines are skipped). Every vector gets a row; an invalid one
gets an error and makes the exit code 2.

Examples:
  stella cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
  stella cvss --format json 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U'
  cut -f3 vectors.tsv | stella cvss --format ndjson`,
		RunE: func(_ *cobra.Command, args []string) error {
			return runCvss(app, args)
		},
	}
}

func runCvss(app *App, args []string) error {
	rows, err := run.ScoreVectors(args, app.In)
	if rows == nil {
		return err
	}
	if rerr := app.render(rows, func(w io.Writer) error { return report.CVSSTable(w, rows, app.OutTTY) }); rerr != nil {
		return rerr
	}
	return err
}
