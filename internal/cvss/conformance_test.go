package cvss

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestConformanceRedHat scores every vector of the Red Hat cvss test suite
// (checked by its authors against the FIRST calculators). v3 lines give
// (base, temporal, environmental); v4 lines give the score of the whole
// vector.
func TestConformanceRedHat(t *testing.T) {
	dir := filepath.Join(testenv.RequireData(t), "cvss", "redhat-cvss")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files in %s", dir)
	}
	total := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			vector, rest, ok := strings.Cut(line, " - ")
			if !ok {
				t.Fatalf("%s:%d: want \"VECTOR - scores\", got %q", f, n, line)
			}
			var want []decimal.D
			for _, x := range strings.Split(strings.Trim(rest, "()"), ",") {
				if x = strings.TrimSpace(x); x != "" {
					want = append(want, decimal.MustParse(x))
				}
			}
			total++
			s, err := Parse(vector)
			if err != nil {
				t.Errorf("%s:%d: %v", filepath.Base(f), n, err)
				continue
			}
			var got []decimal.D
			if s.Version == V40 {
				got = []decimal.D{s.Score}
			} else {
				got = []decimal.D{s.Base, *s.Temporal, s.Environmental}
			}
			if len(got) != len(want) {
				t.Fatalf("%s:%d: %d expected scores for a v%s vector", filepath.Base(f), n, len(want), s.Version)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s:%d: %s: got %v, want %v", filepath.Base(f), n, vector, got, want)
					break
				}
			}
		}
		fh.Close()
	}
	if total < 3700 {
		t.Errorf("only %d vectors checked", total)
	}
}
