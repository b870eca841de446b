package report

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/policytest"
	"github.com/stella-policy/stella/internal/run"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.20"},
		{"café — ≥ 7.5 ✓", "café — ≥ 7.5 ✓"},
		{"x\x1b[2K\rPASSED", `x\x1b[2K\x0dPASSED`},
		{"a\nb\tc", `a\x0ab\x09c`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"bad\xffutf8", `bad\xffutf8`},
		{`back\slash`, `back\slash`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
	} {
		got := Escape(c.in)
		if got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := Escape(got); again != got {
			t.Errorf("Escape(Escape(%q)) = %q, want it unchanged", c.in, again)
		}
	}
}

func TestEscapeDocument(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a\n\tb\n", "a\n\tb\n"},
		{"row x\x1b[2K\rPASSED\n", "row x\\x1b[2K\\x0dPASSED\n"},
		{"\x1b[1;31mBLOCKED\x1b[0m", `\x1b[1;31mBLOCKED\x1b[0m`},
		{"\u202egnp.exe", `\u202egnp.exe`},
	} {
		var b bytes.Buffer
		Escaping(&b).Write([]byte(c.in))
		if got := b.String(); got != c.want {
			t.Errorf("Escaping(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPrintf(t *testing.T) {
	p := newPalette(true)
	var b bytes.Buffer
	printf(&b, "%-6s|%q|%d|%v|%s\n", "a\x1bb", "q\x1b", 7, []string{"x\u202e"}, p.paint(p.bad, "BLOCK\x1b[31m"))
	want := `a\x1bb|"q\x1b"|7|[x\u202e]|` + string(p.bad.Render(`BLOCK\x1b[31m`)) + "\n"
	if b.String() != want {
		t.Errorf("printf = %q, want %q", b.String(), want)
	}
}

// hostile is a value an input could carry: one of the palette's own colour
// sequences, then a bidi override.
const hostile = "H\x1b[31mEVIL\u202e"

// fill sets every exported string of v (a pointer) to hostile, giving nil
// pointers, slices and string maps one element first, so a rendering of
// it shows whichever field it prints.
func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			fill(v.Elem(), depth+1)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(hostile)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
			v.SetMapIndex(reflect.ValueOf(hostile).Convert(v.Type().Key()), reflect.ValueOf(hostile).Convert(v.Type().Elem()))
		}
	}
}

func hostileValue[T any]() *T {
	var v T
	fill(reflect.ValueOf(&v), 0)
	return &v
}

// TestColourEscapesValues renders values whose every string is hostile
// with colour on: each human rendering must show the value escaped, and
// never let its colour sequence or bidi override through, though the
// palette's own sequences are there (docs/output.md "Control characters").
func TestColourEscapesValues(t *testing.T) {
	o := Options{Color: true, TTY: true}
	res := hostileValue[engine.Result]()
	for _, c := range []struct {
		name   string
		render func(w io.Writer) error
	}{
		{"table", func(w io.Writer) error { return Table(w, res, o) }},
		{"diff", func(w io.Writer) error { return DiffTable(w, hostileValue[engine.Diff](), o) }},
		{"delta", func(w io.Writer) error { return DeltaTable(w, hostileValue[delta.Delta](), o) }},
		{"explain", func(w io.Writer) error { return ExplainTable(w, hostileValue[ExplainPage](), o) }},
		{"run", func(w io.Writer) error { return RunSummary(w, hostileValue[run.Summary](), o) }},
		{"stored run", func(w io.Writer) error { return StoredRun(w, hostileValue[run.Stored](), o) }},
		{"history", func(w io.Writer) error { return History(w, *hostileValue[run.History](), o) }},
		{"replay", func(w io.Writer) error { return ReplayTable(w, hostileValue[run.ReplayReport](), o) }},
		{"verified", func(w io.Writer) error { return Verified(w, hostileValue[run.VerifyReport](), o) }},
		{"bundle inspect", func(w io.Writer) error { return BundleInspect(w, hostileValue[bundle.Inspection](), o) }},
		{"bundle verified", func(w io.Writer) error { return BundleVerified(w, hostileValue[bundle.Report](), "verified", o) }},
		{"transition", func(w io.Writer) error { return Transition(w, hostileValue[governance.Transition](), o) }},
		{"conflicts", func(w io.Writer) error { return Conflicts(w, hostileValue[policyset.ConflictReport](), o) }},
		{"policy test", func(w io.Writer) error { return PolicyTest(w, hostileValue[policytest.Report](), true) }},
		{"exception", func(w io.Writer) error { return Exception(w, hostileValue[governance.ExceptionView](), Options{}) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if strings.Contains(out, "\x1b[31mEVIL") || strings.Contains(out, "\u202e") {
				t.Errorf("an input's control sequence passed:\n%q", out)
			}
			if !strings.Contains(out, `\x1b[31mEVIL\u202e`) {
				t.Errorf("no escaped value in:\n%q", out)
			}
		})
	}
}
