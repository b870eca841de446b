package snapshot

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stella-policy/stella/internal/model"
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
		got, ok := scanIndex(b, true)
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
		// Without digests (a frozen set read from the cache): the same
		// index, its records' digests left out.
		var short IndexDoc
		if err := decodeIndex(b, &short, false); err != nil {
			t.Fatal(err)
		}
		got.dropDigests()
		if !reflect.DeepEqual(short, got) || short.digests() {
			t.Fatal("decoding without digests gives another index, or one with digests")
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
		_, ok := scanIndex([]byte(c.text), true)
		if ok != (c.why == "") {
			t.Errorf("%s: one pass %v, want %v", c.text, ok, c.why == "")
		}
		var got, want IndexDoc
		gerr, werr := decodeIndex([]byte(c.text), &got, true), json.Unmarshal([]byte(c.text), &want)
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
		got, ok := scanIndex(b, true)
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

// BenchmarkDecodeIndex decodes the index of 200,000 synthetic advisories
// (the size of a whole OSV feed cache, ~16 MB) with and without the
// records' digests, as a run from a snapshot and from the cache do.
func BenchmarkDecodeIndex(b *testing.B) {
	advs := make([]model.Advisory, 200_000)
	for i := range advs {
		advs[i] = model.Advisory{ID: fmt.Sprintf("SYN-%07d", i), Source: "syn", Aliases: []string{fmt.Sprintf("CVE-%07d", i/3)},
			Affected: []model.Affected{{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%06d", i/2)}}, Modified: "2024-01-01T00:00:00Z"}
	}
	data, recs := encodeAdvisories(advs)
	text := canonText(buildIndex(advs, recs, data))
	for _, digests := range []bool{true, false} {
		b.Run(fmt.Sprintf("digests=%v", digests), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				var doc IndexDoc
				if err := decodeIndex(text, &doc, digests); err != nil || len(doc.Advisories) != len(advs) {
					b.Fatal(err)
				}
			}
		})
	}
}
