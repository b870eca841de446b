package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outside matches a citation of a document outside the repository: the
// design card, the seeds, the reference notes. Comments cite docs/*.md
// sections instead (docs/architecture.md "Rules").
var outside = regexp.MustCompile(`\bDESIGN §|\bseed \d{3}\b|\bstellaops §|\b(?:libraries|peers|aesthetics|stellaops)\.md\b`)

// TestCitations: no Go file or doc in the repository cites a document
// outside it.
func TestCitations(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".md") || strings.HasSuffix(p, "cite_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d: cites %q, a document outside the repository; cite docs/*.md", p, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCitationsCaught: what the pattern takes and leaves.
func TestCitationsCaught(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"// Exception effects (DESIGN §8).", true},
		{"// needs instead (seed 002 §3, §6).", true},
		{"// the lattice (stellaops §3.5)", true},
		{"// a single writer (libraries.md §2)", true},
		{`// Exception effects (docs/dsl.md "Exceptions").`, false},
		{"// seed 42 of the generator", false},
		{"// the design of the store", false},
	}
	for _, tt := range tests {
		if got := outside.MatchString(tt.line); got != tt.want {
			t.Errorf("%q: caught %v, want %v", tt.line, got, tt.want)
		}
	}
}
