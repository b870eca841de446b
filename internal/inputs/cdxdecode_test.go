package inputs

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stella-policy/stella/internal/testenv"
)

var cdxDecodeCases = []string{
	`{"$schema":"http://cyclonedx.org/schema/bom-1.5.schema.json","bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:1","version":1,` +
		`"metadata":{"component":{"bom-ref":"app","name":"app","group":"g","properties":[{"name":"stella:tag","value":"a,b"}]}},` +
		`"components":[{"type":"library","bom-ref":"a","name":"a","version":"1","purl":"pkg:npm/a@1","scope":"optional","cpe":"cpe:2.3:a:x:a:1",` +
		`"licenses":[{"license":{"id":"MIT","url":"https://x"}},{"expression":"A OR B"},{"license":{"name":"Own"}}],` +
		`"hashes":[{"alg":"SHA-1","content":"00"}],"tags":["t"],"properties":[{"name":"k","value":"v"}],` +
		`"components":[{"name":"n","version":"2","purl":"pkg:golang/github.com/Foo/n@v2"}]},` +
		`{"bom-ref":"b","name":"b","purl":"pkg:maven/g/b@1.0","evidence":{"identity":{"field":"purl"}}},{"name":"nopurl","version":"1"},{"name":"bad","purl":"pkg:"}],` +
		`"dependencies":[{"ref":"app","dependsOn":["a"]},{"ref":"a","dependsOn":["b"]},{"ref":"b"}],` +
		`"vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected","justification":"code_not_reachable"},"affects":[{"ref":"a"},{"ref":"bad"}]}]}`,
	`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[],"dependencies":[]}`,
	`{"bomFormat":"CycloneDX","specVersion":"1.4"}`,
	`{"bomFormat":"CycloneDX","specVersion":"1.4","components":null}`,
	`{"bomFormat":"CycloneDX","Components":[{"name":"a"}]}`,
	`{"bomFormat":"CycloneDX","components":[{"name":"a"}],"components":[{"name":"b"}]}`,
	`{"bomFormat":"CycloneDX","components":[{"name":"a","NAME":"b"}]}`,
	`{"bomFormat":"CycloneDX","components":[{"name":1}]}`,
	`{"bomFormat":"CycloneDX","components":[{"name":"a\u00e9\"b","licenses":[{"license":null}]}]}`,
	`{"bomFormat":"CycloneDX","components":[{"name":"a"}]`,
	`{"bomFormat":"CycloneDX","components":[{"name":"a"}]}]`,
	`{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"X","analysis":{"state":"exploitable"}}]}`,
	`{"bomFormat":"SPDX","components":[]}`,
	`{"name":"\ud800"}`,
	` {"bomFormat":"CycloneDX"} `,
	`[]`,
}

// fastCDX reads b on the one-pass path from s.
func fastCDX(b []byte, s *jsonStream) (*cdxReader, bool) {
	c := newCDXReader(&doc{name: "t.cdx.json", data: b})
	rest, _, ok := c.read(s, math.MaxInt32, false)
	return c, ok && c.decodeRest(rest)
}

// checkDecodeCycloneDX: whatever the one-pass path takes, from memory or
// streamed a byte at a time, encoding/json takes too and reads to the same
// SBOM, statements, warnings and errors.
func checkDecodeCycloneDX(t *testing.T, b []byte) bool {
	t.Helper()
	fast, ok := fastCDX(b, newStream(nil, b, 0))
	streamed, sok := fastCDX(b, newStream(iotest.OneByteReader(bytes.NewReader(b)), nil, 7))
	if ok != sok {
		t.Fatalf("%q: one-pass reading from memory %v, streamed %v", b, ok, sok)
	}
	if !ok {
		return false
	}
	ref := newCDXReader(&doc{name: "t.cdx.json", data: b})
	if err := ref.decodeWhole(); err != nil {
		t.Fatalf("fast path took %q, encoding/json refuses it: %v", b, err)
	}
	want, wantErr := finishCDX(ref)
	for _, c := range []*cdxReader{fast, streamed} {
		got, err := finishCDX(c)
		if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("%q:\nfast %+v %v\n ref %+v %v", b, got, err, want, wantErr)
		}
	}
	return true
}

func finishCDX(c *cdxReader) (*Input, error) {
	in := &Input{Kind: KindSBOM}
	err := c.finish(in)
	return in, err
}

func TestDecodeCycloneDX(t *testing.T) {
	fast := 0
	for _, c := range cdxDecodeCases {
		if checkDecodeCycloneDX(t, []byte(c)) {
			fast++
		}
	}
	if fast < 6 {
		t.Errorf("the fast path took only %d cases", fast)
	}
}

// TestDecodeCycloneDXShared: every shared CycloneDX SBOM is read on the
// one-pass path, to what encoding/json gives, and Read gives the same
// input whether it streams the file or reads it into memory first.
func TestDecodeCycloneDXShared(t *testing.T) {
	data := testenv.RequireData(t)
	paths, _ := filepath.Glob(filepath.Join(data, "sbom", "cyclonedx", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no shared CycloneDX SBOMs")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !checkDecodeCycloneDX(t, bytes.TrimSpace(b)) {
			t.Errorf("%s: not read on the fast path", filepath.Base(p))
		}
		checkReadFile(t, p, true)
	}
}

// checkReadFile: Read gives the same input (or error) for p whether it
// reads the file in one pass from disk or into memory first; streams says
// whether the one-pass reading must take it.
func checkReadFile(t *testing.T, p string, streams bool) {
	t.Helper()
	defer func(n int64) { streamFrom = n }(streamFrom)
	streamFrom = math.MaxInt64
	want, wantErr := Read(p, Options{})
	if _, ok := readOnePass(p, Options{}, Limits{}.withDefaults()); ok != streams {
		t.Errorf("%s: read in one pass from disk: %v, want %v", p, ok, streams)
	}
	streamFrom = 0
	got, err := Read(p, Options{})
	if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Errorf("%s: streamed %+v %v\nin memory %+v %v", p, got, err, want, wantErr)
	}
}

// TestReadOnePass: files the one-pass reading from disk takes read as they
// do from memory; the others — gzip, another format, a problem to position
// — fall back to it, with the same result and error.
func TestReadOnePass(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		text    string
		streams bool
	}{
		{"\xEF\xBB\xBF\n  " + cdxDecodeCases[0] + "\n", true},
		{cdxDecodeCases[1], true},
		{`{"$schema":"x","bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","purl":"pkg:npm/a@1"}]}`, true},
		{`{"specVersion":"1.5","bomFormat":"CycloneDX","components":[]}`, false},
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":1}]}`, false},
		{"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\n\"components\":[{\"name\":\"a\"}", false},
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a"}]} x`, false},
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"` + "\xff" + `"}]}`, false},
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, false},
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"X","analysis":{"state":"exploitable"}}]}`, false},
		{`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[]}`, true},
		{"\n" + spdxDecodeCases[0], true},
		{`{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"a"},{"SPDXID":"a"}]}`, false},
		{`{"spdxVersion":"SPDX-3.0","packages":[]}`, false},
		{`{"spdxVersion":"SPDX-2.3","bomFormat":"CycloneDX"}`, false},
		{`{"SPDXID":"x","spdxVersion":"SPDX-2.3"}`, true},
		{`{"name":"x","spdxVersion":"SPDX-2.3"}`, false},
	} {
		p := filepath.Join(dir, "f"+string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		checkReadFile(t, p, tc.streams)
	}
}

func FuzzDecodeCycloneDX(f *testing.F) {
	for _, c := range cdxDecodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeCycloneDX(t, b) })
}
