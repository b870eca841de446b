package inputs

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

// wantInvalid checks that err is an exit-2 input error whose message matches
// the pattern (which should name the file and place).
func wantInvalid(t *testing.T, err error, pattern string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one matching %q", pattern)
	}
	if !fail.Is(err, fail.Invalid) {
		t.Errorf("error kind %d, want %d (invalid input): %v", fail.KindOf(err), fail.Invalid, err)
	}
	if !regexp.MustCompile(pattern).MatchString(err.Error()) {
		t.Errorf("error %q does not match %q", err, pattern)
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostileDocuments(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		data string
		opt  Options
		want string
	}{
		{"truncated.json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [{"name": "a"`, Options{}, `truncated.json:1:\d+: /components/0/name: invalid JSON: unexpected end of input`},
		{"truncated-osv.json", `{"id": "GHSA-1", "affected": [`, Options{Kind: KindAdvisories}, `truncated-osv.json:1:\d+: .*unexpected end of input`},
		{"cut-string.json", `{"spdxVersion": "SPDX-2.3", "name": "x`, Options{}, `cut-string.json:1:\d+: .*unexpected end of input`},
		{"array.json", `[1, 2, 3]`, Options{Kind: KindSBOM}, `array.json:1:1: unrecognized input format \(a JSON array\) for sbom`},
		{"string.json", `"sbom"`, Options{}, `string.json:1:1: unrecognized input format \(a JSON scalar`},
		{"number.json", `42`, Options{Kind: KindVEX}, `number.json:1:1: unrecognized input format \(a JSON scalar`},
		{"forced-array.json", `[]`, Options{Format: CycloneDX}, `forced-array.json:1:1: .*expected object, found array`},
		{"wrong-member.json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {"a": 1}}`, Options{}, `wrong-member.json:1:\d+: /components: expected array, found object`},
		{"deep.json", strings.Repeat("[", 1_000_000), Options{}, `deep.json:1:129: /0/0/.*/…: nesting deeper than 128 levels`},
		{"deep-object.json", strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200), Options{}, `deep-object.json:1:\d+: /a/a/.*nesting deeper than 128 levels`},
		{"utf8.json", "{\"id\": \"GHSA-1\",\n \"summary\": \"caf\xe9\", \"affected\": []}", Options{}, `utf8.json:2:17: /summary: invalid UTF-8 \(byte 0xe9\)`},
		{"utf8-key.json", "{\"bom\xffFormat\": 1}", Options{}, `utf8-key.json:1:6: invalid UTF-8 \(byte 0xff\)`},
		{"nul.json", "{\"bomFormat\": \"CycloneDX\"\x00}", Options{}, `nul.json:1:26: /bomFormat: invalid JSON: invalid character`},
		{"empty.json", "", Options{}, `empty.json: empty input`},
		{"spaces.json", " \n\t\r\n  ", Options{}, `spaces.json: empty input`},
		{"unknown.json", `{"hello": "world"}`, Options{}, `unknown.json:1:1: unrecognized input format; top-level keys: hello`},
		{"bom.xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>`, Options{}, `bom.xml:1:1: unrecognized input format \(XML: only the JSON forms`},
		{"sbom.spdx", "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", Options{}, `sbom.spdx:1:1: unrecognized input format \(SPDX tag-value: only SPDX JSON is read\)`},
		{"kind.json", `{"catalogVersion": "1", "vulnerabilities": []}`, Options{Kind: KindSBOM}, `kind.json: this is a CISA KEV catalog, not sbom`},
		{"dup-keys.json", `{"id": "GHSA-1", "id": "GHSA-2", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ecosystem_specific": {"a": 1, "a": 2}}]}`, Options{}, `dup-keys.json:1:\d+: /affected/0/ecosystem_specific: .*(?i:duplicate key)`},
		{"yaml-bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nexceptions: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", Options{Kind: KindExceptions}, `yaml-bomb.yaml:1:1: unknown field "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.name, []byte(tt.data))
			_, err := Read(p, tt.opt)
			wantInvalid(t, err, tt.want)
		})
	}
}

// TestWhitespace200MB: a file of 200 MB of whitespace is streamed past,
// never held in memory, and rejected as empty; with a smaller limit it is
// rejected as too large before any of it is read.
func TestWhitespace200MB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	p := filepath.Join(t.TempDir(), "ws.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("  \n\t "), 1<<20/5)
	for written := 0; written < 200<<20; written += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	_, err = Read(p, Options{})
	wantInvalid(t, err, `ws.json: empty input \(no content, only whitespace\)`)
	_, err = Read(p, Options{Limits: Limits{MaxFileBytes: 100 << 20}})
	wantInvalid(t, err, `ws.json: input is \d+ bytes, more than the limit of 104857600 bytes`)
}

func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte("cve,epss,percentile\n"))
	zw.Write(bytes.Repeat([]byte(" "), 64<<20))
	zw.Close()
	p := writeFile(t, t.TempDir(), "epss.csv.gz", buf.Bytes())
	_, err := Read(p, Options{Kind: KindEPSS})
	wantInvalid(t, err, `epss.csv.gz: compression ratio above 200:1`)
	_, err = Read(p, Options{Kind: KindEPSS, Limits: Limits{MaxFileBytes: 1 << 20, MaxRatio: 1 << 30}})
	wantInvalid(t, err, `epss.csv.gz: input is larger than the limit of 1048576 bytes`)
	p = writeFile(t, t.TempDir(), "bad.gz", []byte{0x1f, 0x8b, 1, 2, 3})
	_, err = Read(p, Options{})
	wantInvalid(t, err, `bad.gz: invalid gzip data`)
}

func zipOf(t testing.TB, method uint16, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const okRecord = `{"id": "GHSA-ok", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "versions": ["1.0.0"]}]}`

func TestHostileZips(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"dotdot.zip", map[string]string{"ok.json": okRecord, "../../etc/evil.json": okRecord}, `dotdot.zip/../../etc/evil.json: unsafe member path`},
		{"abs.zip", map[string]string{"/etc/evil.json": okRecord}, `abs.zip//etc/evil.json: unsafe member path`},
		{"backslash.zip", map[string]string{`..\evil.json`: okRecord}, `backslash.zip/..\\evil.json: unsafe member path`},
		{"inner-dotdot.zip", map[string]string{"a/../../b.json": okRecord}, `unsafe member path`},
		{"bomb.zip", map[string]string{"big.json": `{"id": "B-1", "summary": "` + strings.Repeat("a", 20<<20) + `"}`}, `bomb.zip/big.json: compression ratio above 200:1`},
		{"empty.zip", map[string]string{"README.md": "no records"}, `empty.zip: no \*.json files`},
		{"badrecord.zip", map[string]string{"x.json": `{"id": 7}`}, `badrecord.zip/x.json:1:8: /id: expected string, found number`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, tt.name, zipOf(t, zip.Deflate, tt.files))
			_, err := Read(p, Options{})
			wantInvalid(t, err, tt.want)
		})
	}
	t.Run("not a zip kind", func(t *testing.T) {
		p := writeFile(t, dir, "osv.zip", zipOf(t, zip.Deflate, map[string]string{"a.json": okRecord}))
		_, err := Read(p, Options{Kind: KindSBOM})
		wantInvalid(t, err, `osv.zip: is a zip; only OSV advisories are read from directories and zips`)
		in, err := Read(p, Options{})
		if err != nil || len(in.Advisories) != 1 || in.MediaType != mediaZip {
			t.Errorf("zip of one record: %+v, %v", in, err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		b := zipOf(t, zip.Store, map[string]string{"a.json": okRecord})
		p := writeFile(t, dir, "corrupt.zip", b[:len(b)-30])
		_, err := Read(p, Options{})
		wantInvalid(t, err, `corrupt.zip: invalid zip`)
	})
}

// TestSkipInvalid: malformed OSV records fail the whole input, with every
// problem located, unless --skip-invalid leaves them out.
func TestSkipInvalid(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "osv/GHSA-ok.json", []byte(okRecord))
	writeFile(t, dir, "osv/sub/GHSA-norange.json", []byte(`{"id": "GHSA-norange", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": []}]}]}`))
	writeFile(t, dir, "osv/GHSA-noid.json", []byte(`{"affected": []}`))
	writeFile(t, dir, "osv/GHSA-badtime.json", []byte(`{"id": "GHSA-badtime", "modified": "yesterday", "affected": []}`))
	writeFile(t, dir, "osv/GHSA-trunc.json", []byte(`{"id": "GHSA-trunc", `))
	writeFile(t, dir, "osv/.git/ignored.json", []byte(`garbage`))
	writeFile(t, dir, "osv/notes.txt", []byte(`garbage`))
	_, err := Read(filepath.Join(dir, "osv"), Options{})
	wantInvalid(t, err, `(?s)GHSA-badtime.json:1:\d+: /modified: invalid timestamp "yesterday".*GHSA-noid.json:1:1: OSV record without an id.*GHSA-trunc.json:1:\d+: /id: invalid JSON: unexpected end.*sub/GHSA-norange.json:1:\d+: /affected/0/ranges/0/events: range without events.*--skip-invalid`)
	in, err := Read(filepath.Join(dir, "osv"), Options{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Advisories) != 1 || len(in.Skipped) != 4 || in.Files != 5 {
		t.Errorf("%d advisories, %d skipped, %d files; want 1, 4, 5", len(in.Advisories), len(in.Skipped), in.Files)
	}
}

func TestMissingInput(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "nope.json"), Options{})
	wantInvalid(t, err, `nope.json: no such file or directory`)
	_, err = Read(t.TempDir(), Options{Kind: KindVEX})
	wantInvalid(t, err, `is a directory; only OSV advisories`)
}
