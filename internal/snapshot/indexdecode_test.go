package snapshot

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// indexTexts are index files as stella writes them: of the test inputs and,
// when the shared data is there, of the shared OSV set.
func indexTexts(t testing.TB) [][]byte {
	specs := []Spec{testSpec(testInputs)}
	if data := testenv.DataDir(); data != "" {
		specs = append(specs, Spec{Advisories: []string{filepath.Join(data, "osv")}})
	}
	var out [][]byte
	for _, spec := range specs {
		s, err := FromFiles(spec)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.file(IndexFile)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestDecodeIndex: the index files stella writes take the one pass, which
// gives what encoding/json gives; text in any other form goes to
// encoding/json.
func TestDecodeIndex(t *testing.T) {
	for _, b := range indexTexts(t) {
		got, ok := scanIndex(b)
		if !ok {
			t.Fatalf("an index stella wrote (%d bytes) did not take the one pass", len(b))
		}
		var want IndexDoc
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatal("the one pass decodes an index differently from encoding/json")
		}
	}
	for _, c := range []struct{ text, why string }{
		{`{"advisories":[],"data":"advisories.json","packages":[],"schema":"stella.advisory-index/v1"}`, ""},
		{`{"advisories":[{"id":"A","length":1,"offset":1}],"data":"advisories.json","packages":[],"schema":"stella.advisory-index/v2","select":{"always":[],"group":[-1]}}`, ""},
		{`{"advisories":[{"digest":"sha256:00","id":"A","length":1,"offset":1},{"id":"B","length":1,"offset":3}],"data":"d","packages":[],"schema":"x"}`, ""},
		{`{"advisories":[{"digest":"sha256:\u0030","id":"A","length":1,"offset":1}],"data":"d","packages":[],"schema":"x"}`, "escape in a digest"},
		{` {"advisories":[],"data":"advisories.json","packages":[],"schema":"x"}`, "leading space"},
		{`{"advisories":[{"id":"A\u0041","length":1,"offset":1}],"data":"d","packages":[],"schema":"x"}`, "escape"},
		{`{"advisories":[{"id":"A","length":1.0,"offset":1}],"data":"d","packages":[],"schema":"x"}`, "a float"},
		{`{"advisories":[{"id":"A","length":01,"offset":1}],"data":"d","packages":[],"schema":"x"}`, "a leading zero"},
		{`{"advisories":[{"id":"A","length":1234567890123456,"offset":1}],"data":"d","packages":[],"schema":"x"}`, "16 digits"},
		{`{"advisories":[],"data":"d","packages":[],"schema":"x","select":null}`, "null"},
		{`{"data":"d","advisories":[],"packages":[],"schema":"x"}`, "keys out of order"},
		{`{"advisories":[],"data":"d","packages":[],"schema":"x"} `, "trailing space"},
	} {
		_, ok := scanIndex([]byte(c.text))
		if ok != (c.why == "") {
			t.Errorf("%s: one pass %v, want %v", c.text, ok, c.why == "")
		}
		var got, want IndexDoc
		gerr, werr := decodeIndex([]byte(c.text), &got), json.Unmarshal([]byte(c.text), &want)
		if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s): decodeIndex %+v, %v; encoding/json %+v, %v", c.text, c.why, got, gerr, want, werr)
		}
	}
}

// FuzzDecodeIndex: whatever the one pass accepts, encoding/json decodes to
// the same value.
func FuzzDecodeIndex(f *testing.F) {
	for _, b := range indexTexts(f) {
		if len(b) < 100_000 {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"advisories":[{"id":"A","length":2,"offset":1}],"data":"advisories.json","packages":[{"advisories":[0],"ecosystem":"npm","name":"a"}],"schema":"s","select":{"always":[],"group":[-1]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := scanIndex(b)
		if !ok {
			return
		}
		var want IndexDoc
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("one pass accepted what encoding/json rejects: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("one pass %+v, encoding/json %+v", got, want)
		}
	})
}
