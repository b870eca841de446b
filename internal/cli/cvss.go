package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/fail"
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

// cvssRow is one scored vector in the output.
type cvssRow struct {
	Vector        string     `json:"vector"`
	Normalized    string     `json:"normalized,omitempty"`
	Version       string     `json:"version,omitempty"`
	Base          *decimal.D `json:"base,omitempty"`
	Temporal      *decimal.D `json:"temporal,omitempty"`
	Threat        *decimal.D `json:"threat,omitempty"`
	Environmental *decimal.D `json:"environmental,omitempty"`
	Score         *decimal.D `json:"score,omitempty"`
	Severity      string     `json:"severity,omitempty"`
	Error         string     `json:"error,omitempty"`
}

func runCvss(app *App, args []string) error {
	type input struct{ vector, where string }
	var ins []input
	if len(args) > 0 {
		for i, a := range args {
			ins = append(ins, input{a, fmt.Sprintf("argument %d", i+1)})
		}
	} else {
		sc := bufio.NewScanner(app.In)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				ins = append(ins, input{line, fmt.Sprintf("stdin:%d", n)})
			}
		}
		if err := sc.Err(); err != nil {
			return fail.New(fail.Invalid, "stdin: %v", err)
		}
		if len(ins) == 0 {
			return fail.New(fail.Invalid, "no vectors: give them as arguments or on stdin, one per line")
		}
	}
	rows := make([]cvssRow, len(ins))
	bad := 0
	for i, in := range ins {
		rows[i].Vector = in.vector
		s, err := cvss.Parse(in.vector)
		if err != nil {
			bad++
			rows[i].Error = fmt.Sprintf("%s: %s", in.where, strings.TrimPrefix(err.Error(), "cvss: "))
			continue
		}
		rows[i] = cvssRow{
			Vector: in.vector, Normalized: s.Vector, Version: s.Version,
			Base: &s.Base, Temporal: s.Temporal, Threat: s.Threat,
			Environmental: &s.Environmental, Score: &s.Score, Severity: s.Severity,
		}
	}
	err := app.render(rows, func(w io.Writer) error { return cvssTable(app, w, rows) })
	if err != nil {
		return err
	}
	if bad > 0 {
		return fail.New(fail.Invalid, "%d of %d vectors invalid", bad, len(rows))
	}
	return nil
}

func cvssTable(app *App, w io.Writer, rows []cvssRow) error {
	t := app.newTable(w, "VECTOR", "VERSION", "BASE", "TEMPORAL/THREAT", "ENVIRONMENTAL", "SCORE", "SEVERITY")
	num := func(d *decimal.D) string {
		if d == nil {
			return ""
		}
		return d.Fixed(1)
	}
	for _, r := range rows {
		if r.Error != "" {
			if err := t.Append(r.Vector, "", "", "", "", "", "error: "+r.Error); err != nil {
				return err
			}
			continue
		}
		tt := r.Temporal
		if tt == nil {
			tt = r.Threat
		}
		if err := t.Append(r.Normalized, r.Version, num(r.Base), num(tt), num(r.Environmental), num(r.Score), r.Severity); err != nil {
			return err
		}
	}
	return t.Render()
}
