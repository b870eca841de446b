package dsl

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/testenv"
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "dsl.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocExamples compiles every ```stella block of docs/dsl.md. A block
// that is not a whole policy is compiled inside a policy header. Examples
// must have no errors; the one showing a conflict may be blocking. A
// fragment is not a whole policy, so the policy-level lint about unknown
// severity does not apply to it.
func TestDocExamples(t *testing.T) {
	blocks := regexp.MustCompile("(?s)```stella\n(.*?)```").FindAllStringSubmatch(readDoc(t), -1)
	if len(blocks) < 5 {
		t.Fatalf("found only %d stella examples", len(blocks))
	}
	for i, b := range blocks {
		src := b[1]
		fragment := !strings.HasPrefix(strings.TrimSpace(src), "policy ")
		if fragment {
			src = "policy \"doc\" syntax \"stella-dsl@1\" {\n" + src + "}\n"
		}
		r := CompileResult("docs/dsl.md example "+string(rune('1'+i)), []byte(src))
		for _, d := range r.Diagnostics {
			if fragment && d.Code == "dsl.policy.unknownSeverity" {
				continue
			}
			if d.Severity == Error || d.Severity == Warning && d.Code != "dsl.profile.unused" {
				t.Errorf("example %d:\n%s\n%s", i+1, b[1], d)
			}
		}
	}
}

// TestDocCoversCatalogueAndCodes: docs/dsl.md mentions every namespace
// field, function and setting of the catalogue and every diagnostic code the
// compiler emits.
func TestDocCoversCatalogueAndCodes(t *testing.T) {
	doc := readDoc(t)
	var want []string
	for _, ns := range ir.Namespaces {
		for _, a := range ns.Attrs {
			want = append(want, "`"+ns.Name+"."+a.Name+"`")
		}
	}
	for _, o := range ir.Objects {
		for _, a := range o.Attrs {
			want = append(want, "`"+a.Name+"`")
		}
	}
	for _, f := range ir.Functions {
		want = append(want, "`"+f.Name+"(")
	}
	for _, s := range ir.Settings {
		want = append(want, "`"+s.Name+"`")
	}
	files, _ := filepath.Glob("*/*.go")
	codeRE := regexp.MustCompile(`"(dsl\.[a-z]+\.[A-Za-z]+|dsl\.internal)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range codeRE.FindAllStringSubmatch(string(b), -1) {
			want = append(want, "`"+m[1]+"`")
		}
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("docs/dsl.md does not mention %s", w)
		}
	}
}
