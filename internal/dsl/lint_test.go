package dsl

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLint runs the chunked cases in testdata/lint/*.txt. A chunk starts
// with "--- name"; any source line may end in expectations
//
//	### CODE[@COL] ["REGEXP"]
//
// each of which must be met by exactly one diagnostic on that line (with that
// code, at that column when given, with a message matching REGEXP), and every
// diagnostic must be expected.
func TestLint(t *testing.T) {
	files, err := filepath.Glob("testdata/lint/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lint cases: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks(string(data)) {
			t.Run(filepath.Base(file)+"/"+c.name, func(t *testing.T) {
				_, _, diags := Compile("test.stella", []byte(c.src))
				used := make([]bool, len(c.want))
			diag:
				for _, d := range diags {
					for i, w := range c.want {
						if !used[i] && w.line == d.Pos.Line && w.code == d.Code && (w.col == 0 || w.col == d.Pos.Col) && w.re.MatchString(d.Msg) {
							used[i] = true
							continue diag
						}
					}
					t.Errorf("unexpected %s", d)
				}
				for i, w := range c.want {
					if !used[i] {
						t.Errorf("line %d: missing %s@%d %q", w.line, w.code, w.col, w.re)
					}
				}
			})
		}
	}
}

type lintCase struct {
	name string
	src  string
	want []expectation
}

type expectation struct {
	line, col int
	code      string
	re        *regexp.Regexp
}

var expectRE = regexp.MustCompile(`###\s*([\w.]+)(?:@(\d+))?(?:\s+"((?:[^"\\]|\\.)*)")?\s*`)

func chunks(data string) []lintCase {
	var out []lintCase
	var cur *lintCase
	var lines []string
	flush := func() {
		if cur == nil {
			return
		}
		for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
			lines = lines[:len(lines)-1]
		}
		cur.src = strings.Join(lines, "\n")
		out = append(out, *cur)
	}
	for _, l := range strings.Split(data, "\n") {
		if name, ok := strings.CutPrefix(l, "--- "); ok {
			flush()
			cur, lines = &lintCase{name: name}, nil
			continue
		}
		if cur == nil {
			continue // header comments
		}
		if i := strings.Index(l, "###"); i >= 0 {
			for _, m := range expectRE.FindAllStringSubmatch(l[i:], -1) {
				col, _ := strconv.Atoi(m[2])
				re := strings.ReplaceAll(m[3], `\"`, `"`)
				cur.want = append(cur.want, expectation{line: len(lines) + 1, col: col, code: m[1], re: regexp.MustCompile(re)})
			}
			l = l[:i]
		}
		lines = append(lines, l)
	}
	flush()
	return out
}
