package snapshot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/store"
)

func TestCreateInShow(t *testing.T) {
	root := t.TempDir()
	first, err := CreateIn(testSpec(testInputs), "", root)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Path != filepath.Join(root, strings.TrimPrefix(first.ID, "sha256:")) || first.Stats.SBOMs != 2 {
		t.Errorf("first create: %+v", first)
	}
	again, err := CreateIn(testSpec(testInputs), first.Path, "elsewhere")
	if err != nil || again.Created || again.ID != first.ID {
		t.Errorf("again: %+v, %v", again, err)
	}
	s, err := OpenDir(first.Path)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := s.Show(first.Path)
	if err != nil {
		t.Fatal(err)
	}
	if shown.ID != first.ID || len(shown.Inputs) == 0 || len(shown.Sources) == 0 || !reflect.DeepEqual(shown.Stats, s.Manifest.Content.Stats) {
		t.Errorf("show: %+v", shown)
	}
	if len(shown.NoPurl) != shown.Stats.NoPurl {
		t.Errorf("%d components without purl listed, stats say %d", len(shown.NoPurl), shown.Stats.NoPurl)
	}
	s.Index.doc.Packages = s.Index.doc.Packages[1:] // the index no longer covers every advisory
	if _, err := s.Show("here"); err == nil || !strings.HasPrefix(err.Error(), "snapshot here: ") {
		t.Errorf("show with a short index: %v", err)
	}
	// A directory whose manifest names this snapshot but whose files do not
	// match it is not "already there": creating into it fails and leaves it.
	adv := filepath.Join(first.Path, AdvisoriesFile)
	b, err := os.ReadFile(adv)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(adv, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := CreateIn(testSpec(testInputs), first.Path, ""); err == nil || fail.KindOf(err) != fail.Integrity {
		t.Errorf("create over a damaged copy: %+v, %v; want an integrity error", got, err)
	}
	if after, _ := os.ReadFile(adv); !bytes.Equal(after, b) {
		t.Error("create over a damaged copy changed it")
	}
}

func TestImportStored(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "snap")
	c, err := CreateIn(testSpec(testInputs), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "stella.db")
	opened := 0
	open := func() (*store.Store, error) {
		opened++
		return store.Open(ctx, db, "", store.Options{})
	}
	for _, tc := range []struct {
		name    string
		dir     string
		created bool
		kind    fail.Kind
	}{
		{"not a snapshot", t.TempDir(), false, fail.NotFound},
		{"first", dir, true, 0},
		{"again", dir, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := opened
			im, err := Import(ctx, tc.dir, open, "test")
			if tc.kind != 0 {
				if err == nil || opened != before {
					t.Fatalf("err %v, store opened %d times: want an error and no store", err, opened-before)
				}
				if _, err := os.Stat(db); err == nil {
					t.Error("an invalid snapshot created the database")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if im.ID != c.ID || im.Created != tc.created || im.Files < 2 || im.Bytes == 0 || !reflect.DeepEqual(im.Stats, c.Stats) {
				t.Errorf("import: %+v", im)
			}
		})
	}
	st, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := Stored(ctx, st, "db:x")
	if err != nil || len(es) != 1 || es[0].ID != c.ID || es[0].Path != "db:x" || !reflect.DeepEqual(es[0].Stats, c.Stats) {
		t.Errorf("stored: %+v, %v", es, err)
	}
}

func TestInspect(t *testing.T) {
	in := func(name string) string { return filepath.Join(testInputs, name) }
	for _, c := range []struct {
		name   string
		files  []string
		o      InspectOptions
		kinds  string // per file; "!" for one that failed
		optErr string
	}{
		{"detected", []string{in("shop.cdx.json"), in("kev.json"), in("exceptions.yaml")}, InspectOptions{MaxInputSize: 1 << 30}, "sbom kev exceptions", ""},
		{"one unreadable", []string{in("kev.json"), in("missing.json")}, InspectOptions{MaxInputSize: 1 << 30}, "kev !", ""},
		{"wrong kind", []string{in("kev.json")}, InspectOptions{Kind: "sbom", MaxInputSize: 1 << 30}, "!", ""},
		{"content", []string{in("kev.json")}, InspectOptions{MaxInputSize: 1 << 30, Content: true}, "kev", ""},
		{"unknown kind", nil, InspectOptions{Kind: "sboms", MaxInputSize: 1}, "", `unknown --kind "sboms"`},
		{"unknown format", nil, InspectOptions{As: "xml", MaxInputSize: 1}, "", "--as: "},
		{"no size", nil, InspectOptions{}, "", "--max-input-size must be positive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Inspect(c.files, c.o)
			if c.optErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.optErr) {
					t.Fatalf("err %v, want %q", err, c.optErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, r := range out {
				if r.Err() != nil {
					if r.Error == nil || len(r.Error.Problems) == 0 || r.Path == "" {
						t.Errorf("%s: failed without problems: %+v", r.Path, r.Error)
					}
					kinds = append(kinds, "!")
					continue
				}
				if r.Digest == "" || (r.Content != nil) != c.o.Content {
					t.Errorf("%s: digest %q, content %v", r.Path, r.Digest, r.Content != nil)
				}
				kinds = append(kinds, string(r.Kind))
			}
			if got := strings.Join(kinds, " "); got != c.kinds {
				t.Errorf("kinds %q, want %q", got, c.kinds)
			}
		})
	}
}

// TestDocs: an input held in memory freezes exactly as the same
// bytes in a file, under its own name.
func TestDocs(t *testing.T) {
	file := filepath.Join(testInputs, "exceptions.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := fromFiles(t, testSpec(testInputs))
	sp := testSpec(testInputs)
	sp.Exceptions = nil
	sp.Docs = []Doc{{Name: "--exceptions approved", Kind: inputs.KindExceptions, Data: data}}
	given := fromFiles(t, sp)
	if given.ID() != fromFile.ID() {
		t.Errorf("id %s from memory, %s from the file", given.ID(), fromFile.ID())
	}
	var names []string
	for _, s := range given.Manifest.Sources {
		if s.Kind == inputs.KindExceptions {
			names = append(names, s.Path)
		}
	}
	if strings.Join(names, " ") != "--exceptions approved" {
		t.Errorf("exception sources %v", names)
	}
	sp.Docs[0].Data = []byte("exceptions: [")
	if _, err := FromFiles(sp); err == nil || !strings.Contains(err.Error(), "--exceptions approved") {
		t.Errorf("bad bytes: %v", err)
	}
}

func TestRequestSpec(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Request
		err  string
	}{
		{"plain", Request{SBOMs: []string{"a.json"}, MaxInputSize: 10}, ""},
		{"formats", Request{SBOMFormat: "spdx", VEXFormat: "csaf", MaxInputSize: 10}, ""},
		{"no size", Request{}, "--max-input-size must be positive"},
		{"bad sbom format", Request{SBOMFormat: "osv", MaxInputSize: 10}, "--sbom-format: "},
		{"bad vex format", Request{VEXFormat: "spdx", MaxInputSize: 10}, "--vex-format: "},
	} {
		sp, err := c.r.Spec()
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || sp.Limits.MaxFileBytes != c.r.MaxInputSize || string(sp.SBOMFormat) != c.r.SBOMFormat || string(sp.VEXFormat) != c.r.VEXFormat ||
			strings.Join(sp.SBOMs, ",") != strings.Join(c.r.SBOMs, ",") {
			t.Errorf("%s: %+v, %v", c.name, sp, err)
		}
	}
}

// TestImportWrongSize: a content file whose size is not the manifest's is
// refused with the integrity error before it is read — a 1 GiB sparse
// advisories.json is not read into memory — and the store is not opened.
func TestImportWrongSize(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "snap")
	if _, err := CreateIn(testSpec(testInputs), dir, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, AdvisoriesFile), 1<<30); err != nil {
		t.Fatal(err)
	}
	opened := false
	open := func() (*store.Store, error) {
		opened = true
		return nil, errors.New("not to be opened")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Import(ctx, dir, open, "test")
	runtime.ReadMemStats(&after)
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), AdvisoriesFile+": content does not match the manifest digest") || opened {
		t.Fatalf("import: %v (store opened: %v); want the integrity error naming %s", err, opened, AdvisoriesFile)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("refusing a wrong-size file allocated %d MiB: it was read", got>>20)
	}
}

// TestReadDirKeeps: import hands the store the bytes it verified, not the
// directory's files read again: a file changed after readDir checked it is
// not what Files returns.
func TestReadDirKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	if _, err := CreateIn(testSpec(testInputs), dir, ""); err != nil {
		t.Fatal(err)
	}
	s, err := readDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Manifest.Content.Files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Path)), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(s.Manifest.Content.Files)+1 {
		t.Fatalf("%d files, manifest lists %d and itself", len(files), len(s.Manifest.Content.Files))
	}
	for _, f := range files {
		if want := s.fileDigest(f.Path); f.Path != ManifestFile && canon.Digest(f.Data) != want {
			t.Errorf("%s: %s, manifest says %s", f.Path, canon.Digest(f.Data), want)
		}
	}
}
