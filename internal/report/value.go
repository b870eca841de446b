package report

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/stella-policy/stella/internal/fail"
)

// Value writes any command's output value in a structured format
// (docs/output.md): json (JSON), ndjson (each element of a slice on its own
// line; anything else as one line) or yaml (the JSON field names, block
// style). The table form of each value is its own renderer's.
func Value(w io.Writer, format string, v any) error {
	switch format {
	case "json":
		return JSON(w, v)
	case "ndjson":
		return lines(w, v)
	case "yaml":
		return YAML(w, v)
	}
	return fail.New(fail.Invalid, "--format %s is not supported by this command", format)
}

// lines writes each element of a slice v on its own line; a non-slice is
// written as one line.
func lines(w io.Writer, v any) error {
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

// YAML writes v as YAML with the same field names as its JSON form.
func YAML(w io.Writer, v any) error {
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

// blockStyle clears the flow and quoting styles that parsing JSON leaves on a
// node tree, so the YAML encoder writes block style and quotes only where a
// string would otherwise read as another type.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
