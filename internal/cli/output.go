package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/report"
)

// render writes v in the selected format. table draws the table form; when
// nil, table falls back to JSON.
func (a *App) render(v any, table func(w io.Writer) error) error {
	return a.renderAs(a.Format(), v, table)
}

// renderText is render for commands whose output is primarily for people
// reading logs (diagnostics): the text form unless --format asks otherwise,
// TTY or not.
func (a *App) renderText(v any, text func(w io.Writer) error) error {
	f := a.Global.Format
	if f == "" {
		f = "table"
	}
	return a.renderAs(f, v, text)
}

// renderAs writes v in format f: the table form by table (JSON when table
// is nil), the structured formats by report.Value.
func (a *App) renderAs(f string, v any, table func(w io.Writer) error) error {
	if f != "table" {
		return report.Value(a.Out, f, v)
	}
	if table == nil {
		return report.JSON(a.Out, v)
	}
	return table(a.Out)
}

// termWidth is the width tables must fit: $COLUMNS when set, else the
// terminal's width when stdout is one, else 0 (no limit).
func (a *App) termWidth() int {
	if n, err := strconv.Atoi(a.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := a.Out.(*os.File); ok && a.OutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// loud writes a warning to stderr that --quiet does not silence.
func (a *App) loud(msg string) { a.Err.Write([]byte("stella: " + msg + "\n")) }

// infof writes a progress or status line to stderr unless --quiet.
func (a *App) infof(format string, args ...any) {
	if a.Global.Quiet {
		return
	}
	fmt.Fprintf(a.Err, format+"\n", args...)
}

// compilerDiagnostics renders what compiling a policy found (diagnostics):
// with --quiet only when it found an error.
func (a *App) compilerDiagnostics(ds []dsl.Diagnostic, src []byte) error {
	if len(ds) == 0 || a.Global.Quiet && !dsl.HasErrors(ds) {
		return nil
	}
	return a.diagnostics(ds, src)
}

// diagnostics renders compiler diagnostics on stderr, as text or, under
// --log-format json, as records (report.Diagnostics).
func (a *App) diagnostics(ds []dsl.Diagnostic, src []byte) error {
	return report.Diagnostics(a.Err, ds, src)
}
