package compile_test

import (
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
