package syntax

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump renders a tree as a position-free S-expression, to compare trees and
// to show precedence.
func dump(n Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpTo(b *strings.Builder, n Node) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	list := func(xs []Expr) {
		for _, x := range xs {
			w(" ")
			dumpTo(b, x)
		}
	}
	switch n := n.(type) {
	case *Policy:
		w("(policy %q %q", n.Name.Value, n.Syntax.Value)
		for _, s := range n.Sections {
			w(" ")
			dumpTo(b, s)
		}
		w(")")
	case *Block:
		w("(%s", n.Keyword)
		for _, kv := range n.Entries {
			w(" ")
			dumpTo(b, kv)
		}
		w(")")
	case *KV:
		w("(= %s ", n.Key.Name)
		dumpTo(b, n.Value)
		w(")")
	case *Profile:
		w("(profile %s", n.Name.Name)
		for _, it := range n.Items {
			w(" ")
			dumpTo(b, it)
		}
		w(")")
	case *MapBlock:
		w("(map %s", n.Name.Name)
		for _, e := range n.Entries {
			w(" (%s %q %s)", e.Key.Name, e.Match.Value, e.Delta.Raw)
		}
		w(")")
	case *EnvBlock:
		w("(env %s", n.Name.Name)
		for _, e := range n.Entries {
			w(" (if ")
			dumpTo(b, e.Cond)
			w(" %s)", e.Delta.Raw)
		}
		w(")")
	case *Imports:
		w("(imports ")
		dumpTo(b, n.Value)
		w(")")
	case *Rule:
		w("(rule %s", n.Name.Name)
		if n.Priority != nil {
			w(" %s", n.Priority.Raw)
		}
		w(" ")
		dumpTo(b, n.When)
		w(" (then")
		for _, a := range n.Then {
			w(" ")
			dumpTo(b, a)
		}
		w(")")
		if n.Else != nil {
			w(" (else")
			for _, a := range n.Else {
				w(" ")
				dumpTo(b, a)
			}
			w(")")
		}
		if n.Because != nil {
			w(" %q", n.Because.Value)
		}
		w(")")
	case *AssignAction:
		w("(%s ", n.Target)
		dumpTo(b, n.Value)
		w(")")
	case *AnnotateAction:
		w("(annotate %s ", n.Key.Name)
		dumpTo(b, n.Value)
		w(")")
	case *WarnAction:
		if n.Message != nil {
			w("(warn %q)", n.Message.Value)
		} else {
			w("(warn)")
		}
	case *EscalateAction:
		w("(escalate ")
		dumpTo(b, n.Value)
		w(")")
	case *RequireVexAction:
		w("(requireVex ")
		dumpTo(b, n.Body)
		w(")")
	case *IgnoreAction:
		if n.Until != nil {
			w("(ignore ")
			dumpTo(b, n.Until)
			w(")")
		} else {
			w("(ignore)")
		}
	case *Ident:
		w("%s", n.Name)
	case *StringLit:
		w("%q", n.Value)
	case *NumberLit:
		w("%s", n.Raw)
	case *BoolLit:
		w("%t", n.Value)
	case *NullLit:
		w("null")
	case *ListLit:
		w("[")
		list(n.Elems)
		w("]")
	case *ObjectLit:
		w("{")
		for _, kv := range n.Entries {
			w(" ")
			dumpTo(b, kv)
		}
		w("}")
	case *ParenExpr:
		w("(paren ")
		dumpTo(b, n.X)
		w(")")
	case *MemberExpr:
		w("(. ")
		dumpTo(b, n.X)
		w(" %s)", n.Name.Name)
	case *CallExpr:
		w("(call ")
		dumpTo(b, n.Fn)
		list(n.Args)
		w(")")
	case *IndexExpr:
		w("(index ")
		dumpTo(b, n.X)
		w(" ")
		dumpTo(b, n.Index)
		w(")")
	case *UnaryExpr:
		w("(not ")
		dumpTo(b, n.X)
		w(")")
	case *BinaryExpr:
		w("(%s ", n.Op)
		dumpTo(b, n.X)
		w(" ")
		dumpTo(b, n.Y)
		w(")")
	default:
		w("<%T>", n)
	}
}

// parseCond parses src as the condition of a rule.
func parseCond(t *testing.T, src string) Expr {
	t.Helper()
	f, diags := Parse("t", []byte(`policy "p" syntax "stella-dsl@1" { rule r { when `+src+` then warn because "b" } }`))
	if len(diags) > 0 {
		t.Fatalf("%s: %v", src, diags)
	}
	return f.Policy.Sections[0].(*Rule).When
}

func TestParseTrees(t *testing.T) {
	tests := []struct{ src, want string }{
		{`a.b or c.d and e.f`, `(or (. a b) (and (. c d) (. e f)))`},
		{`a.b and c.d or e.f`, `(or (and (. a b) (. c d)) (. e f))`},
		{`not a.b == 1`, `(not (== (. a b) 1))`},
		{`not not x.y`, `(not (not (. x y)))`},
		{`x.y not in ["a", "b"]`, `(not in (. x y) [ "a" "b"])`},
		{`not x.y in [1]`, `(not (in (. x y) [ 1]))`},
		{`(a.b or c.d) and e.f`, `(and (paren (or (. a b) (. c d))) (. e f))`},
		{`vex.latest().statementId == "s"`, `(== (. (call (. vex latest)) statementId) "s")`},
		{`sbom.licenses[0] >= -1.5`, `(>= (index (. sbom licenses) 0) -1.5)`},
		{`vex.any(status in ["fixed"])`, `(call (. vex any) (in status [ "fixed"]))`},
		{`coalesce(env.a, +0.5, null, true, false)`, `(call coalesce (. env a) +0.5 null true false)`},
		{`env.not == env.in`, `(== (. env not) (. env in))`},
		{`"a\"b\\c\n\u00e9\ud83d\ude00" == x.y`, "(== \"a\\\"b\\\\c\\né\U0001F600\" (. x y))"},
		{`[] != [[1], []]`, `(!= [] [ [ 1] []])`},
		{`a.b < 1 and c.d <= 2 and e.f > 3 and g.h >= 4 and i.j != 5`, `(and (and (and (and (< (. a b) 1) (<= (. c d) 2)) (> (. e f) 3)) (>= (. g h) 4)) (!= (. i j) 5))`},
	}
	for _, tt := range tests {
		if got := dump(parseCond(t, tt.src)); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestScan(t *testing.T) {
	s := &scanner{src: []byte("a:=b => c == +1.5 -2 != <= >= < > = : ; , . ( ) [ ] { } \"x\\ty\" é"), limits: DefaultLimits}
	s.scan()
	var got []string
	for _, tok := range s.toks {
		got = append(got, fmt.Sprintf("%s@%d:%s", tok.Kind, tok.Pos.Col, tok.Value))
	}
	want := "identifier@1:a :=@2::= identifier@4:b =>@6:=> identifier@9:c ==@11:== number@14:+1.5 number@19:-2 !=@22:!= <=@25:<= >=@28:>= <@31:< >@33:> =@35:= :@37:: ;@39:; ,@41:, .@43:. (@45:( )@47:) [@49:[ ]@51:] {@53:{ }@55:} string@57:x\ty end of file@65:"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("tokens\n got %s\nwant %s", g, want)
	}
	if len(s.diags) != 1 || s.diags[0].Code != "dsl.syntax.badChar" || s.diags[0].Pos.Col != 64 {
		t.Errorf("diags = %v, want one badChar at col 64 (columns count runes)", s.diags)
	}
}

func TestScanPositions(t *testing.T) {
	src := "policy \"é☃\" syntax \"stella-dsl@1\" {\r\n\trule r { when x.y then warn because \"b\" }\n}"
	f, diags := Parse("t", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if sp := f.Policy.Syntax.Span(); sp.Start.Col != 20 || sp.End.Col != 34 {
		t.Errorf("syntax literal span = %v", sp)
	}
	r := f.Policy.Sections[0].(*Rule)
	if p := r.KwPos; p.Line != 2 || p.Col != 2 {
		t.Errorf("rule at %v, want 2:2", p)
	}
	if sp := r.Span(); sp.End.Line != 2 || sp.End.Col != 43 {
		t.Errorf("rule span = %v", sp)
	}
}

func TestLimits(t *testing.T) {
	deep := `policy "p" syntax "stella-dsl@1" { rule r { when ` + strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100) + ` then warn because "b" } }`
	_, diags := Parse("t", []byte(deep))
	if len(diags) != 1 || diags[0].Code != "dsl.limit.depth" || diags[0].Pos.Col != 50+DefaultLimits.MaxDepth {
		t.Errorf("deep nesting: %v", diags)
	}
	_, diags = ParseLimits("t", []byte(deep), Limits{MaxBytes: 100, MaxTokens: 10, MaxDepth: 10})
	if len(diags) != 1 || diags[0].Code != "dsl.limit.fileSize" || diags[0].Pos.Line != 1 {
		t.Errorf("file size: %v", diags)
	}
	_, diags = ParseLimits("t", []byte(deep), Limits{MaxBytes: 1 << 20, MaxTokens: 20, MaxDepth: 1000})
	if len(diags) != 1 || diags[0].Code != "dsl.limit.tokens" || diags[0].Pos.Line != 1 {
		t.Errorf("tokens: %v", diags)
	}
	many := `policy "p" syntax "stella-dsl@1" {` + strings.Repeat("\n  rule r { when true then warn because \"b\" }", DefaultLimits.MaxRules+1) + "\n}"
	if _, diags = Parse("t", []byte(many)); len(diags) != 1 || diags[0].Code != "dsl.limit.rules" || diags[0].Pos.Line != DefaultLimits.MaxRules+2 {
		t.Errorf("rules: %v", diags)
	}
	deepList := `policy "p" syntax "stella-dsl@1" { metadata { x = ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + ` } }`
	if _, diags = Parse("t", []byte(deepList)); len(diags) != 1 || diags[0].Code != "dsl.limit.depth" {
		t.Errorf("deep list: %v", diags)
	}
}

func TestBadEncoding(t *testing.T) {
	_, diags := Parse("t", []byte("policy \"a\xffb\" syntax \"stella-dsl@1\" {}\n// \xfe\n"))
	if len(diags) != 2 || diags[0].Code != "dsl.syntax.badEncoding" || diags[0].Pos.Col != 10 || diags[1].Pos.Line != 2 {
		t.Errorf("diags = %v", diags)
	}
}

func TestRender(t *testing.T) {
	src := []byte("policy \"p\" syntax \"x\" {\n\twhen é == 1\n}")
	d := Diagnostic{File: "f.stella", Pos: Pos{Line: 2, Col: 7}, End: Pos{Line: 2, Col: 9}, Severity: Error, Code: "dsl.test", Msg: "bad"}
	var b bytes.Buffer
	if err := Render(&b, []Diagnostic{d}, src); err != nil {
		t.Fatal(err)
	}
	want := "f.stella:2:7: error: bad [dsl.test]\n    \twhen é == 1\n    \t     ^~\n"
	if b.String() != want {
		t.Errorf("Render =\n%q\nwant\n%q", b.String(), want)
	}
	many := make([]Diagnostic, MaxShown+3)
	for i := range many {
		many[i] = d
	}
	b.Reset()
	Render(&b, many, nil)
	if !strings.HasSuffix(b.String(), "f.stella: … and 3 more diagnostics\n") {
		t.Errorf("cap: %s", b.String()[b.Len()-80:])
	}
}

// TestPrintGolden formats each testdata/fmt/*.txtar "in" section and
// compares with its "out" section (rewritten with -update). The output must
// be a fixed point and parse to the same tree.
func TestPrintGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/fmt/*.txtar")
	if len(files) == 0 {
		t.Fatal("no fmt cases")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in := section(t, ar, "in.stella")
			got := checkPrint(t, in)
			if *update {
				setSection(ar, "out.stella", got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := section(t, ar, "out.stella"); !bytes.Equal(got, want) {
				t.Errorf("formatted:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestPrintRoundTrip formats the policies of the compiler's testdata.
func TestPrintRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/policies/*.stella")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checkPrint(t, src)
	}
}

// checkPrint prints src and checks that the result parses to the same tree
// and is its own formatting.
func checkPrint(t *testing.T, src []byte) []byte {
	t.Helper()
	f, diags := Parse("in", src)
	if len(diags) > 0 {
		t.Fatalf("parse: %v", diags)
	}
	out := Print(f)
	f2, diags := Parse("out", out)
	if len(diags) > 0 {
		t.Fatalf("formatted output does not parse: %v\n%s", diags, out)
	}
	if a, b := dump(f.Policy), dump(f2.Policy); a != b {
		t.Errorf("tree changed by formatting:\n%s\n%s", a, b)
	}
	if len(f2.Comments) != len(f.Comments) {
		t.Errorf("comments: %d before, %d after", len(f.Comments), len(f2.Comments))
	}
	if again := Print(f2); !bytes.Equal(again, out) {
		t.Errorf("not idempotent:\n%s\nthen:\n%s", out, again)
	}
	return out
}

func section(t *testing.T, ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("no section %s", name)
	return nil
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}

// TestRenderLongLine: a line longer than MaxExcerpt runes prints as a
// window around the column, cut between runes, the caret still under the
// column; invalid bytes take one column each, as the scanner counts them.
func TestRenderLongLine(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	for _, c := range []struct {
		name      string
		line      string
		col, end  int
		want      string // the excerpt and marker lines
		wantWidth int    // runes of the excerpt line, when want is empty
	}{
		{"short line untouched", "when x", 6, 7, "    when x\n         ^\n", 0},
		{"exactly MaxExcerpt", strings.Repeat("b", MaxExcerpt), MaxExcerpt, MaxExcerpt + 1, "    " + strings.Repeat("b", MaxExcerpt) + "\n    " + strings.Repeat(" ", MaxExcerpt-1) + "^\n", 0},
		{"start", "x" + long, 1, 3, "    x" + strings.Repeat("a", MaxExcerpt-1) + "…\n    ^~\n", 0},
		{"end", long + "yz", 100_002, 100_003, "    …" + strings.Repeat("a", MaxExcerpt-2) + "yz\n    " + strings.Repeat(" ", MaxExcerpt) + "^\n", 0},
		{"middle", long[:50_000] + "MID" + long[50_000:], 50_001, 50_004,
			"    …" + strings.Repeat("a", MaxExcerpt/2) + "MID" + strings.Repeat("a", MaxExcerpt/2-3) + "…\n    " + strings.Repeat(" ", MaxExcerpt/2+1) + "^~~\n", 0},
		{"span past the window", long, 50_000, 90_000, "", MaxExcerpt + 2},
		{"multi-byte", strings.Repeat("é日🙂", 30_000) + "!" + strings.Repeat("🙂", 1000), 90_001, 90_002,
			"    …" + strings.Repeat("é日🙂", MaxExcerpt/10) + "!" + strings.Repeat("🙂", (MaxExcerpt/2-1)/2) + "…\n    " + strings.Repeat(" ", 1+MaxExcerpt/2) + "^\n", 0}, // a window of display columns: "…" and é 1, 日 and 🙂 2 columns each
		{"invalid bytes", "\xff\xfe\xfd x", 5, 6, "    \uFFFD\uFFFD\uFFFD x\n        ^\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Diagnostic{File: "f", Pos: Pos{Line: 1, Col: c.col}, End: Pos{Line: 1, Col: c.end}, Severity: Error, Code: "dsl.test", Msg: "m"}
			var a, b bytes.Buffer
			Render(&a, []Diagnostic{d}, []byte(c.line+"\n"))
			Render(&b, []Diagnostic{d}, []byte(c.line+"\n"))
			if a.String() != b.String() {
				t.Fatal("two renderings differ")
			}
			head := fmt.Sprintf("f:1:%d: error: m [dsl.test]\n", c.col)
			got, ok := strings.CutPrefix(a.String(), head)
			if !ok || !utf8.ValidString(got) {
				t.Fatalf("Render =\n%q", a.String())
			}
			if c.want != "" && got != c.want {
				t.Errorf("Render =\n%q\nwant\n%q", got, c.want)
			}
			if lines := strings.Split(got, "\n"); c.wantWidth != 0 && utf8.RuneCountInString(lines[0]) != 4+c.wantWidth {
				t.Errorf("excerpt of %d runes: %q", utf8.RuneCountInString(lines[0]), lines[0])
			}
		})
	}
}
