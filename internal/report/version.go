package report

import (
	"bufio"
	"io"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/run"
)

// ToolVersion writes the text form of `stella version`: the version, the
// commit, the Go version and the platform.
func ToolVersion(w io.Writer, info buildinfo.Info) error {
	_, err := printf(w, "stella %s\ncommit %s\n%s %s\n", info.Version, info.Commit, info.GoVersion, info.Platform)
	return err
}

// Comparisons writes what `version compare` finds: without a format (or
// "table") one symbol a line as the pairs are read; in a structured format
// one value at the end (Close) — the comparison of a pair given as
// arguments, else the list.
type Comparisons struct {
	format string
	pair   bool
	out    io.Writer
	w      *bufio.Writer
	rows   []run.Comparison
}

// NewComparisons writes to w in format (--format as given); pair says the
// versions came as arguments.
func NewComparisons(w io.Writer, format string, pair bool) *Comparisons {
	if format == "table" {
		format = ""
	}
	return &Comparisons{format: format, pair: pair, out: w, w: bufio.NewWriterSize(w, 64<<10), rows: []run.Comparison{}}
}

// Add writes or keeps one comparison.
func (c *Comparisons) Add(cmp run.Comparison) error {
	if c.format != "" {
		c.rows = append(c.rows, cmp)
		return nil
	}
	_, err := c.w.WriteString(cmp.Result + "\n")
	return err
}

// Close ends the output after the comparisons ended with err: the symbols
// written so far are flushed; the structured value is written only when
// err is nil.
func (c *Comparisons) Close(err error) error {
	if ferr := c.w.Flush(); err == nil {
		err = ferr
	}
	switch {
	case err != nil || c.format == "":
		return err
	case c.pair:
		return Value(c.out, c.format, c.rows[0])
	}
	return Value(c.out, c.format, c.rows)
}
