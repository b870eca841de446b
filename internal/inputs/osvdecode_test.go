package inputs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// osvDecodeCases are records the fast path must decode as encoding/json
// does, or leave to it: every field, escapes, unknown members, and each
// reason to give up (case-folded keys, duplicates, nulls, wrong types,
// surrogates, malformed text).
var osvDecodeCases = []string{
	`{"id":"GHSA-1","modified":"2024-01-01T00:00:00Z","published":"2023-01-01T00:00:00Z","withdrawn":"","aliases":["CVE-1"],
	  "related":[],"summary":"a \"b\" \\ \/ \u00e9 \n","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"}],
	  "affected":[{"package":{"ecosystem":"npm","name":"x","purl":"pkg:npm/x"},"severity":[],"ranges":[{"type":"SEMVER","repo":"",
	  "events":[{"introduced":"0"},{"fixed":"1.0.0"},{"last_affected":"0.9"},{"limit":"2"}]}],"versions":["0.1"],
	  "ecosystem_specific":{"b":[1,2.5e3,true,false,null],"a":{}},"database_specific":{"x":"y"}}],
	  "references":[{"type":"WEB","url":"https://x"}],"database_specific":{"severity":"HIGH"},
	  "schema_version":"1.6.0","details":"long","credits":[{"name":"n","contact":["c"]}],"x":[[[]],{},-0.5e-3,"s"]}`,
	` { "id" : "A" , "affected" : [ ] , "references" : [ ] } `,
	`{"id":"A","affected":[{"ranges":[{"type":"GIT","repo":"r","events":[]}]}]}`,
	`{"i\u0064":"escaped key"}`,
	`{"ID":"folded"}`, `{"id":"A","Affected":[]}`, `{"affected":[{"Package":{}}]}`, `{"id":"a","id":"b"}`,
	`{"id":null}`, `{"affected":null}`, `{"database_specific":null}`, `{"affected":[{"package":null}]}`,
	`{"id":1}`, `{"aliases":"x"}`, `{"affected":{}}`, `{"affected":[{"ranges":[{"events":[{"fixed":1}]}]}]}`,
	`{"summary":"\ud83d\ude00"}`, `{"summary":"\ud800"}`, `{"summary":"\u12"}`, `{"summary":"\x"}`,
	`{"id":"A"} x`, `{"id":"A",}`, `{"id" "A"}`, `{"id":"A"`, `[]`, `"s"`, `{"x":[1,]}`, `{"x":01}`, `{"x":tru}`, `{"x":-}`,
	"{\"summary\":\"a\x01b\"}", "{\"summary\":\"\xff\"}",
}

func TestDecodeOSVMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, c := range osvDecodeCases {
		if checkDecodeOSV(t, []byte(c)) {
			fast++
		}
	}
	if fast < 4 {
		t.Errorf("the fast path decoded only %d of the cases", fast)
	}
	for _, dir := range []string{"../../testdata/inputs/osv", "../../testdata/simulate/osv"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !checkDecodeOSV(t, b) {
				t.Errorf("%s: left to encoding/json", f)
			}
		}
	}
}

// TestConformanceDecodeOSV: every shared OSV record decodes on the fast
// path to the record encoding/json gives.
func TestConformanceDecodeOSV(t *testing.T) {
	data := testenv.RequireData(t)
	n, slow := 0, []string{}
	err := filepath.WalkDir(filepath.Join(data, "osv"), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if !checkDecodeOSV(t, b) {
			slow = append(slow, filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 7000 || len(slow) > 0 {
		t.Errorf("%d records, %d left to encoding/json: %v", n, len(slow), slow[:min(len(slow), 10)])
	}
}

// FuzzDecodeOSV: whenever the fast path decodes a text, encoding/json
// decodes it to the same record.
func FuzzDecodeOSV(f *testing.F) {
	for _, c := range osvDecodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeOSV(t, b)
		checkParseChecked(t, b, 8)
	})
}

// TestParseCheckedOSV: the checked fast path takes only text checkText
// accepts and gives what the reference path gives; text nested deeper than
// the limit is left to checkText.
func TestParseCheckedOSV(t *testing.T) {
	fast := 0
	for _, c := range osvDecodeCases {
		if checkParseChecked(t, []byte(c), 128) {
			fast++
		}
	}
	if fast < 3 { // the others are malformed, or (one) start with a space readDoc would strip
		t.Errorf("the checked fast path took only %d cases", fast)
	}
	deep := `{"id":"A","affected":[],"x":` + strings.Repeat("[", 4) + strings.Repeat("]", 4) + `}` // 5 deep
	if checkParseChecked(t, []byte(deep), 4) {
		t.Error("took text nested deeper than the limit")
	}
	if !checkParseChecked(t, []byte(deep), 5) {
		t.Error("left text within the limit")
	}
}

func checkParseChecked(t *testing.T, b []byte, maxDepth int) bool {
	t.Helper()
	if len(b) == 0 {
		return false
	}
	d := &doc{name: "t.json", data: b}
	advs, probs, warns, ok := parseCheckedOSV(d, maxDepth)
	if !ok {
		return false
	}
	if err := d.checkText(maxDepth); err != nil {
		t.Fatalf("%.200q: the checked fast path took text checkText rejects: %v", b, err)
	}
	wa, wp, ww := parseOSV(d)
	if !reflect.DeepEqual(advs, wa) || !reflect.DeepEqual(probs, wp) || !reflect.DeepEqual(warns, ww) {
		t.Fatalf("%.200q: the checked fast path differs from parseOSV", b)
	}
	return true
}

// checkDecodeOSV compares the fast path with encoding/json on b and
// reports whether the fast path took it.
func checkDecodeOSV(t *testing.T, b []byte) bool {
	t.Helper()
	var got osvRecord
	if !decodeOSV(b, &got) {
		return false
	}
	var want osvRecord
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%.200q: fast path decoded what encoding/json rejects: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\n fast %+v\n json %+v", b, got, want)
	}
	return true
}

// osvTexts reads every shared OSV record into memory.
func osvTexts(b *testing.B) [][]byte {
	var out [][]byte
	err := filepath.WalkDir(filepath.Join(testenv.RequireData(b), "osv"), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		out = append(out, data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkDecodeOSV decodes the 7,553 shared records on the fast path;
// BenchmarkDecodeOSVEncodingJSON decodes them with json.Unmarshal.
func BenchmarkDecodeOSV(b *testing.B) {
	texts := osvTexts(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			var r osvRecord
			if !decodeOSV(t, &r) {
				b.Fatal("left to encoding/json")
			}
		}
	}
}

func BenchmarkDecodeOSVEncodingJSON(b *testing.B) {
	texts := osvTexts(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			var r osvRecord
			if err := json.Unmarshal(t, &r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestConformanceDecodeAdvisory: every shared advisory, normalized and
// encoded canonically (as snapshots store it) and by encoding/json, decodes
// on the fast path to what json.Unmarshal gives.
func TestConformanceDecodeAdvisory(t *testing.T) {
	in, err := Read(filepath.Join(testenv.RequireData(t), "osv"), Options{Kind: KindAdvisories})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range in.Advisories {
		c, err := canon.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := json.Marshal(a)
		for _, b := range [][]byte{c, plain} {
			if !checkDecodeAdvisory(t, b) {
				t.Fatalf("%s: left to encoding/json", a.ID)
			}
		}
	}
}

var advisoryCases = []string{
	`{"id":"A","source":"GHSA","affected":[{"ecosystem":"npm","name":"x","ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1"}]}],
	  "versions":["0.1"],"ecosystemSpecific":{"a":[1]},"databaseSpecific":{"b":"c"}}],"severity":[{"type":"CVSS_V3","score":"x"}],
	  "references":[{"type":"WEB","url":"u"}],"tags":["kev"],"aliases":["CVE-1"],"related":[],"databaseSeverity":"HIGH","file":"f"}`,
	`{"id":"A","affected":[]}`, `{"ID":"A"}`, `{"id":"A","id":"B"}`, `{"id":null}`, `{"affected":[{"ranges":[{"events":[{"fixed":null}]}]}]}`,
	`{"affected":[{"ecosystemSpecific":null}]}`, `{"id":"A"}x`, `{"severity":[{"type":1}]}`, `{"extra":{"deep":[[{}]]},"id":"\u0041"}`,
}

func TestDecodeAdvisoryMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, c := range advisoryCases {
		if checkDecodeAdvisory(t, []byte(c)) {
			fast++
		}
	}
	if fast < 3 {
		t.Errorf("the fast path decoded only %d cases", fast)
	}
}

func FuzzDecodeAdvisory(f *testing.F) {
	for _, c := range advisoryCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeAdvisory(t, b) })
}

// checkDecodeAdvisory compares DecodeAdvisory (and DecodeAdvisoryHead)
// with json.Unmarshal on b and reports whether the fast path took it.
func checkDecodeAdvisory(t *testing.T, b []byte) bool {
	t.Helper()
	want, ok, fast := checkDecode(t, b, (*osvParser).advisory, DecodeAdvisory)
	if ok {
		checkHead(t, b, &want)
	}
	return fast
}

// checkDecode compares a fast-path parse and its decoder with
// json.Unmarshal on b. It returns what encoding/json decoded, whether
// encoding/json accepted b, and whether the fast path took it.
func checkDecode[T any](t *testing.T, b []byte, parse func(*osvParser, *T) bool, decode func([]byte, *T) error) (want T, ok, fast bool) {
	t.Helper()
	var got T
	p := &osvParser{b: b}
	fast = parse(p, &got)
	if fast {
		p.space()
		fast = p.i == len(b)
	}
	werr := json.Unmarshal(b, &want)
	if !fast {
		var again T
		if err := decode(b, &again); (err == nil) != (werr == nil) || werr == nil && !reflect.DeepEqual(again, want) {
			t.Fatalf("%.200q: fallback differs from encoding/json", b)
		}
		return want, werr == nil, false
	}
	if werr != nil {
		t.Fatalf("%.200q: fast path decoded what encoding/json rejects: %v", b, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\n fast %+v\n json %+v", b, got, want)
	}
	return want, true, true
}

// checkHead compares DecodeAdvisoryHead on b with the advisory
// encoding/json decoded from it.
func checkHead(t *testing.T, b []byte, want *model.Advisory) {
	t.Helper()
	var h AdvisoryHead
	if err := DecodeAdvisoryHead(b, &h); err != nil {
		t.Fatalf("%.200q: DecodeAdvisoryHead: %v", b, err)
	}
	if wh := (AdvisoryHead{ID: want.ID, Aliases: want.Aliases, Withdrawn: want.Withdrawn, Modified: want.Modified, Published: want.Published}); !reflect.DeepEqual(h, wh) {
		t.Fatalf("%.200q:\n head %+v\n json %+v", b, h, wh)
	}
}
