package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DocTable checks a generated section of a file under docs/ (name, e.g.
// "conformance.md"): the text between the lines begin and end must be
// table; with update it is rewritten instead. A conformance test that
// computes a table from the shared data keeps its documented copy honest
// this way.
func DocTable(t testing.TB, name, begin, end, table string, update bool) {
	t.Helper()
	path := filepath.Join(RepoRoot(), "docs", name)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no markers %q … %q", path, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	got := string(doc[:i]) + begin + table + string(doc[j:])
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != string(doc) {
		t.Errorf("the table in %s between %q and %q is not what the test computes; rerun with its update flag and review the diff:\n%s",
			path, strings.TrimSpace(begin), strings.TrimSpace(end), table)
	}
}
