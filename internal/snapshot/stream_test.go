package snapshot

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/testenv"
)

// streamRecords are OSV files beside testdata/inputs/osv that exercise what
// the streaming freeze must merge and index as the in-memory one does: a
// duplicate id (kept by modified time, with a warning), an identical
// duplicate, several records in one file (one withdrawn) and invalid
// records (with SkipInvalid).
var streamRecords = map[string]string{
	"dup-a.json":   `{"id":"GHSA-dup0-0000-0000","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}`,
	"dup-b.json":   `{"id":"GHSA-dup0-0000-0000","modified":"2024-02-01T00:00:00Z","aliases":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.1"]}]}`,
	"same-a.json":  `{"id":"GHSA-same-0000-0000","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Flask_Cors"}}]}`,
	"same-b.json":  `{"id":"GHSA-same-0000-0000","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Flask_Cors"}}]}`,
	"purl.json":    `{"id":"OSV-2024-1","modified":"2024-03-01T00:00:00Z","affected":[{"package":{"purl":"pkg:npm/x"}}]}`, // invalid: skipped
	"many.json":    `[{"id":"RUSTSEC-2024-0002","modified":"2024-01-05T00:00:00Z","aliases":["GHSA-dup0-0000-0000"],"affected":[{"package":{"ecosystem":"crates.io","name":"a"}}]},{"id":"RUSTSEC-2024-0001","withdrawn":"2024-02-02T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"b"}}]}]`,
	"invalid.json": `{"id":"","affected":"nope"}`,
}

// TestStream: freezing an OSV directory or zip record by record into the
// cache (stream) writes the entry that freezing it in memory writes (put):
// advisories.json, its index and the frozen set, byte for byte.
func TestStream(t *testing.T) {
	dir := t.TempDir()
	osv := filepath.Join(dir, "osv")
	copyTree(t, filepath.Join(testInputs, "osv"), osv)
	for name, text := range streamRecords {
		if err := os.WriteFile(filepath.Join(osv, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipped := filepath.Join(dir, "osv.zip")
	writeZip(t, osv, zipped)
	cases := []struct{ name, path string }{{"directory", osv}, {"zip", zipped}}
	if data := testenv.DataDir(); data != "" {
		cases = append(cases, struct{ name, path string }{"shared", filepath.Join(data, "osv")})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := inputs.Options{Kind: inputs.KindAdvisories, SkipInvalid: true}
			in, err := inputs.Read(c.path, opt)
			if err != nil {
				t.Fatal(err)
			}
			_, set, err := freeze([]*inputs.Input{in}, nil, nil, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(set.index, mustCanon(set.doc)) {
				t.Error("the index text differs from canon.Marshal's")
			}
			old := &advCache{dir: filepath.Join(dir, "cache", c.name, "put"), print: []string{"p"}}
			old.put(set)
			cache := &advCache{dir: filepath.Join(dir, "cache", c.name, "stream"), print: []string{"p"}}
			got, read, err := cache.stream(c.path, opt)
			if err != nil || got == nil || read != nil {
				t.Fatalf("stream: %v, %v, %v", got, read, err)
			}
			for _, f := range []string{AdvisoriesFile, IndexFile} {
				a, err := os.ReadFile(filepath.Join(old.dir, f))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := os.ReadFile(filepath.Join(cache.dir, f))
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs: %d bytes in memory, %d streamed", f, len(a), len(b))
				}
			}
			var ma, mb cacheMeta
			for _, m := range []struct {
				dir string
				m   *cacheMeta
			}{{old.dir, &ma}, {cache.dir, &mb}} {
				b, err := os.ReadFile(filepath.Join(m.dir, "meta.json"))
				if err != nil || json.Unmarshal(b, m.m) != nil {
					t.Fatalf("meta.json: %v", err)
				}
				m.m.Files[0].Print = ""
			}
			if !reflect.DeepEqual(ma, mb) {
				ja, _ := json.Marshal(ma)
				jb, _ := json.Marshal(mb)
				t.Errorf("meta.json differs:\nin memory %s\nstreamed  %s", ja, jb)
			}
			if c.name != "shared" && len(mb.Set.Inputs[0].Read.Warnings) == 0 {
				t.Error("no warning about the duplicate advisory")
			}
			if files, err := os.ReadDir(cache.dir); err != nil || len(files) != 3 {
				t.Errorf("the entry holds %d files, want 3 (%v)", len(files), err)
			}
		})
	}
	// A single OSV file is read whole, as before.
	one := filepath.Join(osv, "dup-a.json")
	cache := &advCache{dir: filepath.Join(dir, "cache", "one"), print: []string{"p"}}
	if got, read, err := cache.stream(one, inputs.Options{Kind: inputs.KindAdvisories}); err != nil || got != nil || read == nil || len(read.Advisories) != 1 {
		t.Fatalf("stream of one file: %v, %v, %v", got, read, err)
	}
}

// writeZip zips the files of dir into p.
func writeZip(t *testing.T, dir, p string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(e.Name())
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
