package dsl

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/ir"
)

// FuzzCompile runs the whole pipeline on arbitrary input: no panic and no
// internal error; a compiled policy's IR decodes and re-encodes to the same
// bytes, compiling is deterministic, and formatting keeps the digest.
// Seeds: testdata/fuzz/FuzzCompile.
func FuzzCompile(f *testing.F) {
	f.Add([]byte(`policy "p" syntax "stella-dsl@1" { rule r priority 1 { when severity.normalized >= "High" then status := "blocked" because "b" } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<16 {
			return
		}
		r := CompileResult("fuzz", src)
		for _, d := range r.Diagnostics {
			if d.Code == "dsl.internal" {
				t.Fatalf("internal error: %s", d)
			}
			if !d.Pos.IsValid() {
				t.Fatalf("diagnostic without a position: %s", d)
			}
		}
		if r.Policy == nil {
			return
		}
		p, err := ir.Decode(r.IR)
		if err != nil {
			t.Fatalf("compiled IR does not decode: %v\n%s", err, r.IR)
		}
		if b, _ := ir.Encode(p); !bytes.Equal(b, r.IR) {
			t.Fatalf("IR re-encodes differently:\n%s\n%s", r.IR, b)
		}
		if again := CompileResult("fuzz", src); again.Digest != r.Digest {
			t.Fatalf("compiling twice: %s then %s", r.Digest, again.Digest)
		}
		file, _ := syntax.Parse("fuzz", src)
		if formatted := CompileResult("fmt", syntax.Print(file)); formatted.Digest != r.Digest {
			t.Fatalf("formatting changed the digest: %v", formatted.Diagnostics)
		}
	})
}
