package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzIndent: the indenter writes exactly what json.Encoder with
// SetEscapeHTML(false) and SetIndent writes, for any valid JSON (encoded
// from a json.RawMessage, so every shape, escape and number form occurs).
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[],"b":{},"c":[1,{"d":"x\"y\\z"}],"e":null}`, `"<&>\u2028"`, `[1.5e3,-0,true,false]`,
		`{"k": [ 1 , 2 ] , "s" : "a\nb\t\\\"" }`, `[[[]],[{}],{"":""}]`, `"é\u00e9\ud83d\ude00"`} {
		f.Add([]byte(s), "", "  ")
		f.Add([]byte(s), "    ", "  ")
	}
	f.Fuzz(func(t *testing.T, data []byte, prefix, indent string) {
		if !json.Valid(data) || !isSpace(prefix) || !isSpace(indent) {
			return
		}
		v := json.RawMessage(data)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent(prefix, indent)
		if err := enc.Encode(v); err != nil {
			return
		}
		got, err := newIndenter(prefix, indent).encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if g := string(got) + "\n"; g != want.String() {
			t.Fatalf("indenter:\n%q\nencoding/json:\n%q", g, want.String())
		}
	})
}

// isSpace: json.Indent's prefix and indent are meant to be whitespace.
func isSpace(s string) bool {
	for _, c := range []byte(s) {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}
