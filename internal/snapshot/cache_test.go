package snapshot

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/match"
)

// copyTree copies the files of src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCache: a run over loose advisories with the frozen-advisory cache
// gives the snapshot a run without it gives — manifest, digests, files,
// and a join over the selected records equal to the join over all —, reads
// the cache when the files are unchanged, and freezes anew when a file is
// rewritten (even with its old size and mtime), added or removed.
func TestCache(t *testing.T) {
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 20 * time.Millisecond
	dir := t.TempDir()
	copyTree(t, testInputs, dir)
	osv := filepath.Join(dir, "osv")
	time.Sleep(3 * racyWindow)

	spec := testSpec(dir)
	want := fromFiles(t, spec)
	spec.Cache = filepath.Join(dir, "cache")
	cache, _, err := openCache(&spec)
	if err != nil || cache == nil {
		t.Fatalf("openCache: %v, %v", cache, err)
	}
	same := func(what string, hit bool) {
		t.Helper()
		if got := cache.get() != nil; got != hit {
			t.Fatalf("%s: cached %v before the run, want %v", what, got, hit)
		}
		got := fromFiles(t, spec)
		gf, err := got.Files()
		if err != nil {
			t.Fatal(err)
		}
		wf, _ := want.Files()
		if !reflect.DeepEqual(got.Manifest, want.Manifest) || !reflect.DeepEqual(got.Digests, want.Digests) || !reflect.DeepEqual(gf, wf) {
			t.Fatalf("%s: the snapshot differs from the one frozen without the cache", what)
		}
		mg, err := match.Join(got.Inputs, match.Options{})
		if err != nil {
			t.Fatal(err)
		}
		mw, _ := match.Join(want.Inputs, match.Options{})
		if !reflect.DeepEqual(mg, mw) {
			t.Fatalf("%s: the join differs", what)
		}
		var set *frozenSet
		cache, set, _ = openCache(&spec)
		if set == nil {
			t.Fatalf("%s: nothing cached after the run", what)
		}
		heads, err := want.Index.heads()
		if sel := selectionOf(heads, want.Index.data, want.Index.doc.Advisories); err != nil || !reflect.DeepEqual(set.doc.Select, sel) {
			t.Fatalf("%s: cached selection %+v, from the records' heads %+v (%v)", what, set.doc.Select, sel, err)
		}
	}
	same("first run", false)
	same("second run", true)

	// The cached advisories.json is not read whole by a run, so it is
	// checked by its metadata: written to, even with its old bytes and
	// mtime, it is no longer read — neither by a run that opened the entry
	// before (the records it selects) nor by the next (frozen anew).
	data := filepath.Join(cache.dir, AdvisoriesFile)
	set := cache.get()
	time.Sleep(3 * racyWindow)
	fi, _ := os.Stat(data)
	b, _ := os.ReadFile(data)
	os.WriteFile(data, b, 0o600)
	os.Chtimes(data, fi.ModTime(), fi.ModTime())
	if _, err := set.x.Select(want.Inputs.SBOMs); err == nil {
		t.Fatal("records read from a cached advisories.json written to while in use")
	}
	same("cached file written to", false)

	// Rewritten with the same size and mtime: only the ctime tells.
	ents, _ := os.ReadDir(osv)
	p := filepath.Join(osv, ents[0].Name())
	fi, _ = os.Stat(p)
	b, _ = os.ReadFile(p)
	os.WriteFile(p, b, 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	time.Sleep(3 * racyWindow)
	cache, _, _ = openCache(&spec)
	same("rewritten", false)

	// A file changed within the racy window is not trusted to the cache.
	os.WriteFile(p, b, 0o644)
	racyWindow = time.Hour
	fromFiles(t, spec)
	if _, set, _ := openCache(&spec); set != nil {
		t.Fatal("cached although a file changed just now")
	}
	racyWindow = 20 * time.Millisecond
	time.Sleep(3 * racyWindow)
	cache, _, _ = openCache(&spec)
	same("settled", false)

	// An added file, or one added and removed again, changes the set.
	extra := filepath.Join(osv, "zz-extra.json")
	os.WriteFile(extra, b, 0o644)
	if _, set, _ := openCache(&spec); set != nil {
		t.Fatal("an added file still hits the cache")
	}
	os.Remove(extra)
	if _, set, _ := openCache(&spec); set != nil {
		t.Fatal("a directory changed since it was frozen still hits the cache")
	}
}
