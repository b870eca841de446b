package canon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

// transformCases are texts where the one-pass canonicalizer must agree with
// jcs: every escape, key orders that differ between bytes and UTF-16,
// numbers in every ECMAScript form, and malformed text of every kind.
var transformCases = []string{
	`{"b":1,"a":{"d":[1,2,{"z":null,"y":true}],"c":false}}`,
	` {"a" : "x" , "b" :[ ] ,"c":{ }} `,
	`{"\u00e9":1,"e":2,"\ud83d\ude00":3,"\uffff":4,"\u20ac":5}`, // U+1F600 sorts before U+FFFF in UTF-16
	`{"a\"b":"\\ \/ \b \f \n \r \t \u0001 \u001f \u007f \u2028 \u00e9 <&>"}`,
	`["é", "☃", "😀", "\ud83d\ude00", "\u0000"]`,
	`[0, -0, 1, -1, 123456789012345, 1234567890123456, 12345678901234567890, 1.5, -1.25e-7, 1e21, 1e20, 0.000001, 1E+2, 5e-324, 1.7976931348623157e308]`,
	`[1e400, 2]`, `[-]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[+1]`, `[0x10]`, `[NaN]`, `[tru]`, `[nulll]`,
	`{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `{"\u0061":1,"a":2}`,
	`{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `[1:2]`, `[1"a"]`,
	`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800x"`, `"\u12"`, `"\u12g4"`, `"\x"`, "\"\x01\"", "\"\xff\"", "\"\xed\xa0\x80\"",
	"[\"a\"]\x00", `[1] [2]`, `[1]]`, ``, ` `, `[`, `{`, `"abc`, `[1,`, "\xef\xbb\xbf[]", `true`, ` 42 `, `"s"`, `null`,
	`{"a":"\u00e9"}`, `{"\u00e9\u00e9":1,"\u00e9":2}`, "{\"\xc3\xa9\":1,\"z\":2}",
}

func TestTransformMatchesJCS(t *testing.T) {
	for _, s := range transformCases {
		checkAgainstJCS(t, []byte(s))
	}
	var deep strings.Builder
	for range maxDepth + 1 {
		deep.WriteByte('[')
	}
	checkAgainstJCS(t, []byte(deep.String()))
}

// FuzzTransform: Transform gives jcs.Transform's output, and an error
// exactly when jcs gives one.
func FuzzTransform(f *testing.F) {
	for _, s := range transformCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstJCS(t, b)
	})
}

func checkAgainstJCS(t *testing.T, b []byte) {
	t.Helper()
	want, werr := jcs.Transform(b)
	got, gerr := Transform(b)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: jcs error %v, Transform error %v", b, werr, gerr)
	}
	if werr != nil {
		if gerr.Error() != "canonical json: "+werr.Error() {
			t.Fatalf("%q: error %q, want jcs's %q", b, gerr, werr)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%q:\n got %s\nwant %s", b, got, want)
	}
}

// benchDoc is a record shaped like the normalized content canon.Marshal
// digests: nested structs in field order, strings, arrays, small numbers.
func benchDoc() []byte {
	type ev struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	}
	type rec struct {
		ID       string            `json:"id"`
		Summary  string            `json:"summary"`
		Aliases  []string          `json:"aliases"`
		Score    float64           `json:"score"`
		Events   []ev              `json:"events"`
		Versions []string          `json:"versions"`
		Extra    map[string]string `json:"extra"`
	}
	var rs []rec
	for i := range 200 {
		rs = append(rs, rec{ID: fmt.Sprintf("GHSA-%04d", i), Summary: "Prototype pollution in <lodash> — \"quoted\"",
			Aliases: []string{fmt.Sprintf("CVE-2024-%d", i)}, Score: 7.5, Events: []ev{{Introduced: "0"}, {Fixed: "4.17.21"}},
			Versions: []string{"4.17.19", "4.17.20"}, Extra: map[string]string{"severity": "HIGH", "cwe": "CWE-1321"}})
	}
	b, _ := json.Marshal(rs)
	return b
}

func BenchmarkTransform(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Transform(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransformJCS is the reference implementation on the same text,
// for comparison.
func BenchmarkTransformJCS(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jcs.Transform(doc); err != nil {
			b.Fatal(err)
		}
	}
}
