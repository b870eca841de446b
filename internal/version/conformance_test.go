package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// vectorFiles maps each reference vector file to the ecosystems whose
// ordering it specifies (semver-versions.txt covers every SemVer-ordered one).
var vectorFiles = map[string][]string{
	"alpine-versions.txt":    {"Alpine", "Wolfi", "Chainguard"},
	"cran-versions.txt":      {"CRAN"},
	"debian-versions.txt":    {"Debian", "Ubuntu"},
	"hackage-versions.txt":   {"Hackage"},
	"maven-versions.txt":     {"Maven"},
	"nuget-versions.txt":     {"NuGet"},
	"packagist-versions.txt": {"Packagist"},
	"pub-versions.txt":       {"Pub"},
	"pypi-versions.txt":      {"PyPI"},
	"redhat-versions.txt":    {"Red Hat", "Rocky Linux", "AlmaLinux"},
	"rubygems-versions.txt":  {"RubyGems"},
	"semver-versions.txt":    {"npm", "Go", "crates.io", "Hex", "SEMVER"},
}

// TestConformanceOrdering checks every line "A op B" of the osv-scalibr
// reference vectors, in both directions, for every ecosystem the file
// covers: agreement must be 100%.
func TestConformanceOrdering(t *testing.T) {
	dir := filepath.Join(testenv.RequireData(t), "versions", "osv-scalibr")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files in %s", dir)
	}
	for _, f := range files {
		ecos, ok := vectorFiles[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: vector file not mapped to an ecosystem", f)
			continue
		}
		cases := readVectors(t, f)
		for _, eco := range ecos {
			t.Run(eco, func(t *testing.T) {
				for _, c := range cases {
					for _, dir := range []struct {
						a, b string
						want int
					}{{c.a, c.b, c.want}, {c.b, c.a, -c.want}} {
						got, err := Compare(eco, dir.a, dir.b)
						if err != nil {
							t.Errorf("%s:%d: %v", filepath.Base(f), c.line, err)
							break
						}
						if got != dir.want {
							t.Errorf("%s:%d: Compare(%s, %q, %q) = %d, want %d", filepath.Base(f), c.line, eco, dir.a, dir.b, got, dir.want)
						}
					}
				}
			})
		}
	}
}

type vector struct {
	a, b string
	want int
	line int
}

func readVectors(t *testing.T, path string) []vector {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []vector
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "// ") {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 3 {
			t.Fatalf("%s:%d: want \"A op B\", got %q", path, n, line)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}
		w, ok := want[f[1]]
		if !ok {
			t.Fatalf("%s:%d: unknown operator %q", path, n, f[1])
		}
		out = append(out, vector{a: f[0], b: f[2], want: w, line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors", path)
	}
	return out
}
