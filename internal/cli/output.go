package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"

	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/stella-policy/stella/internal/fail"
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

func (a *App) renderAs(f string, v any, table func(w io.Writer) error) error {
	switch f {
	case "json":
		return report.JSON(a.Out, v)
	case "ndjson":
		return writeNDJSON(a.Out, v)
	case "yaml":
		return writeYAML(a.Out, v)
	case "table":
		if table == nil {
			return report.JSON(a.Out, v)
		}
		return table(a.Out)
	default:
		return fail.New(fail.Invalid, "--format %s is not supported by this command", f)
	}
}

// writeNDJSON writes each element of a slice v on its own line; a non-slice
// is written as one line.
func writeNDJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return enc.Encode(v)
	}
	for i := range rv.Len() {
		if err := enc.Encode(rv.Index(i).Interface()); err != nil {
			return err
		}
	}
	return nil
}

// writeYAML writes v as YAML with the same field names as its JSON form.
func writeYAML(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &node); err != nil {
		return err
	}
	blockStyle(&node)
	ye := yaml.NewEncoder(w)
	ye.SetIndent(2)
	if err := ye.Encode(&node); err != nil {
		return err
	}
	return ye.Close()
}

// newTable returns the generic table writer (report.NewTable), drawn with
// box characters when stdout is a terminal.
func (a *App) newTable(w io.Writer, headers ...any) *report.TableWriter {
	return report.NewTable(w, a.OutTTY, headers...)
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

// infof writes a progress or status line to stderr unless --quiet.
func (a *App) infof(format string, args ...any) {
	if a.Global.Quiet {
		return
	}
	fmt.Fprintf(a.Err, format+"\n", args...)
}

// blockStyle clears the flow and quoting styles that parsing JSON leaves on a
// node tree, so the YAML encoder writes block style and quotes only where a
// string would otherwise read as another type.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
