package inputs

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// TestAppendPrint: a fingerprint line is what fmt writes for its fields.
func TestAppendPrint(t *testing.T) {
	for _, c := range []struct {
		rel                string
		size, mtime, ctime int64
		ino, dev           uint64
		mode               uint32
	}{
		{"", 4096, 1733400000123456789, 1733400000987654321, 12345, 2049, 020000000755},
		{"npm/GHSA-x.json", 0, -1, 0, 0, 0, 0o644},
		{"dir with \"quotes\"/é\t\x01.json", 1 << 40, 1<<63 - 1, -1 << 63, 1<<64 - 1, 1<<64 - 1, 1<<32 - 1},
	} {
		want := fmt.Sprintf("%q %d %d %d %d %d %o\n", c.rel, c.size, c.mtime, c.ctime, c.ino, c.dev, c.mode)
		if got := string(appendPrint(nil, c.rel, c.size, c.mtime, c.ctime, c.ino, c.dev, c.mode)); got != want {
			t.Errorf("appendPrint = %q, want %q", got, want)
		}
	}
}

// TestDirPrints: the fast walk behind a directory's fingerprint lists the
// members Read's walk lists (regular *.json files in any case, hidden
// directories skipped, links not followed), with the same metadata, and
// gives up (Fingerprint then walks as Read does) past MaxFiles.
func TestDirPrints(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.json", "b.JSON", "c.txt", "sub/d.json", "sub/deeper/e.json", ".hidden/f.json", "sub/.g.json", "a/b.json"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "a.json"), 0o4755)
	os.Symlink("a.json", filepath.Join(dir, "link.json"))
	os.Symlink("sub", filepath.Join(dir, "linkdir"))
	dirs := []string{dir}
	if data := testenv.DataDir(); data != "" {
		dirs = append(dirs, filepath.Join(data, "osv"))
	}
	lim := Limits{}.withDefaults()
	for _, d := range dirs {
		got, ok := dirPrints(d, lim)
		if !ok {
			t.Fatalf("%s: no fast walk", d)
		}
		ms, err := dirMembers(d, lim)
		if err != nil {
			t.Fatal(err)
		}
		var want []filePrint
		for _, m := range ms {
			st, _ := statOf(m.stat)
			want = append(want, filePrint{m.rel, m.stat.Size(), st.mtime.UnixNano(), st.ctime.UnixNano(), st.ino, st.dev, uint32(m.stat.Mode())})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: fast walk\n%+v\nRead's walk\n%+v", d, got, want)
		}
	}
	if _, ok := dirPrints(dir, Limits{MaxFiles: 3}); ok {
		t.Fatal("the fast walk went past MaxFiles")
	}
}
