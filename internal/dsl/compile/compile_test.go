package compile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/dsl/check"
	"github.com/stella-policy/stella/internal/dsl/compile"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

func lower(t *testing.T, src string) *ir.Policy {
	t.Helper()
	f, diags := syntax.Parse("t", []byte(src))
	info, cd := check.Check(f)
	if diags = append(diags, cd...); syntax.HasErrors(diags) {
		t.Fatalf("%v", diags)
	}
	p, _ := compile.Compile(f, info, []byte(src))
	return p
}

// TestLowering checks the normalisations that keep the IR independent of
// how the source is written.
func TestLowering(t *testing.T) {
	p := lower(t, `policy "p" syntax "stella-dsl@1" {
	  settings { shadow: true; default_status = "warned" }
	  rule r priority 3 {
	    when (env.A == "x" and (env.B == "y" and env.C == "z")) or (env.D not in ["q"] or sbom.direct)
	    then requireVex { vendors = ["b", "a", "b"] }
	         severity := +7.50
	    because "b"
	  }
	}`)
	got, _ := canon.Marshal(p.Rules[0])
	want := `{"because":"b","name":"r","priority":3,"then":[{"action":"requireVex","vendors":["a","b"]},{"action":"severity","value":{"op":"num","value":7.5}}],` +
		`"when":{"args":[{"args":[` +
		`{"args":[{"name":"a","ns":"env","op":"ref"},{"op":"str","value":"x"}],"op":"eq","type":"string"},` +
		`{"args":[{"name":"b","ns":"env","op":"ref"},{"op":"str","value":"y"}],"op":"eq","type":"string"},` +
		`{"args":[{"name":"c","ns":"env","op":"ref"},{"op":"str","value":"z"}],"op":"eq","type":"string"}],"op":"and"},` +
		`{"args":[{"args":[{"name":"d","ns":"env","op":"ref"},{"args":[{"op":"str","value":"q"}],"op":"list"}],"op":"in","type":"string"}],"op":"not"},` +
		`{"name":"direct","ns":"sbom","op":"ref"}],"op":"or"}}`
	if string(got) != want {
		t.Errorf("rule:\n got %s\nwant %s", got, want)
	}
	if s, _ := canon.Marshal(p.Settings); string(s) != `{"default_status":"warned","shadow":true}` {
		t.Errorf("settings = %s", s)
	}
}

// TestLongChain lowers a chain of 20,000 `or` operands to one `or` node; the
// operands are appended in place, so this stays linear in the chain length.
func TestLongChain(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString(`policy "p" syntax "stella-dsl@1" { rule r { when `)
	for i := range n {
		if i > 0 {
			b.WriteString(" or ")
		}
		fmt.Fprintf(&b, "(env.x == %q)", fmt.Sprint(i))
	}
	b.WriteString(` then warn because "b" } }`)
	when := lower(t, b.String()).Rules[0].When
	if when.Op != ir.OpOr || len(when.Args) != n {
		t.Fatalf("when is %s with %d operands, want or with %d", when.Op, len(when.Args), n)
	}
	if last := when.Args[n-1].Args[1].Str; last != fmt.Sprint(n-1) {
		t.Errorf("last operand compares with %q, want %q", last, fmt.Sprint(n-1))
	}
}
