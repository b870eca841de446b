// Package dsl is the front door of the stella-dsl@1 compiler: Compile runs
// the phases (syntax.Parse → check.Check → compile.Compile → lint.Lint)
// and returns the IR, its source map and every diagnostic. The engine, the
// store, governance and the CLI call this package; the phases live in
// syntax, check and compile.
package dsl

import (
	"fmt"
	"io"
	"os"

	"github.com/stella-policy/stella/internal/dsl/check"
	"github.com/stella-policy/stella/internal/dsl/compile"
	"github.com/stella-policy/stella/internal/dsl/lint"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
)

// Diagnostic is a positioned compiler message (see syntax.Diagnostic).
type Diagnostic = syntax.Diagnostic

// Severities of diagnostics.
const (
	Error    = syntax.Error
	Blocking = syntax.Blocking
	Warning  = syntax.Warning
	Info     = syntax.Info
)

// Result is everything a compilation produces.
type Result struct {
	Policy    *ir.Policy    // nil when any diagnostic is an Error
	SourceMap *ir.SourceMap // nil with Policy; its Digest is the IR's
	IR        []byte        // canonical IR bytes (RFC 8785); nil with Policy
	Digest    string        // "sha256:<hex>" of IR; "" with Policy
	// Diagnostics are sorted by position. Errors fail compilation; Blocking
	// (dsl.rule.conflict) compiles but fails lint and blocks activation;
	// warnings fail only lint --strict.
	Diagnostics []Diagnostic
}

// Compile compiles one policy source file. filename is used in
// diagnostics and the source map. It never panics: an internal failure
// becomes a dsl.internal diagnostic.
func Compile(filename string, src []byte) (*ir.Policy, *ir.SourceMap, []Diagnostic) {
	r := CompileResult(filename, src)
	return r.Policy, r.SourceMap, r.Diagnostics
}

// CompileResult is Compile, also returning the canonical bytes and digest.
func CompileResult(filename string, src []byte) (res *Result) {
	res = &Result{}
	defer func() {
		if r := recover(); r != nil {
			p := syntax.Pos{Line: 1, Col: 1}
			res = &Result{Diagnostics: append(res.Diagnostics, Diagnostic{File: filename, Pos: p, End: p, Severity: Error,
				Code: "dsl.internal", Msg: fmt.Sprintf("internal compiler error: %v", r)})}
		}
	}()
	f, diags := syntax.Parse(filename, src)
	// A tree with syntax errors has lost sections; checking it would report
	// follow-on errors, so the checker runs only on a clean parse.
	if f.Policy != nil && !syntax.HasErrors(diags) {
		info, cd := check.Check(f)
		diags = append(diags, cd...)
		if !syntax.HasErrors(diags) {
			p, sm := compile.Compile(f, info, src)
			b, digest, err := ir.Digest(p)
			if err != nil {
				panic(err)
			}
			sm.Digest = digest
			diags = append(diags, lint.Lint(filename, p, sm, settingSpans(f))...)
			md := setMetadata(filename, f, p)
			diags = append(diags, md...)
			if !syntax.HasErrors(md) {
				res.Policy, res.SourceMap, res.IR, res.Digest = p, sm, b, digest
			}
		}
	}
	syntax.Sort(diags)
	res.Diagnostics = diags
	return res
}

// settingSpans returns where each settings entry is, by key.
func settingSpans(f *syntax.File) map[string]ir.Span {
	out := map[string]ir.Span{}
	for _, s := range f.Policy.Sections {
		if b, ok := s.(*syntax.Block); ok && b.Keyword == "settings" {
			for _, kv := range b.Entries {
				sp := kv.Span()
				out[kv.Key.Name] = ir.Span{Start: ir.Pos{Line: sp.Start.Line, Col: sp.Start.Col}, End: ir.Pos{Line: sp.End.Line, Col: sp.End.Col}}
			}
		}
	}
	return out
}

// setMetadata checks the metadata keys a policy set reads, scope and
// enforcement (docs/governance.md "Policy sets"), on the compiled values,
// and places each error at the key's value in the source.
func setMetadata(file string, f *syntax.File, p *ir.Policy) []Diagnostic {
	var out []Diagnostic
	at := func(key string, err error) {
		for _, s := range f.Policy.Sections {
			if b, ok := s.(*syntax.Block); ok && b.Keyword == "metadata" {
				for _, kv := range b.Entries {
					if kv.Key.Name == key {
						sp := kv.Value.Span()
						out = append(out, Diagnostic{File: file, Pos: sp.Start, End: sp.End, Severity: Error, Code: "dsl.metadata.badValue", Msg: err.Error()})
						return
					}
				}
			}
		}
	}
	if _, err := ir.PolicyScope(p.Metadata); err != nil {
		at("scope", err)
	}
	if _, err := ir.PolicyEnforcement(p); err != nil {
		at("enforcement", err)
	}
	return out
}

// HasErrors reports whether any diagnostic is an Error (compilation failed).
func HasErrors(ds []Diagnostic) bool { return syntax.HasErrors(ds) }

// HasBlocking reports whether any diagnostic is Blocking: the policy
// compiles but must not be activated.
func HasBlocking(ds []Diagnostic) bool { return syntax.Count(ds, syntax.Blocking) > 0 }

// ReadFile reads a policy source file; failures are invalid input. It
// reads at most one byte more than the parser accepts, so an oversized file
// is reported (dsl.limit.fileSize) without being read whole.
func ReadFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fail.New(fail.Invalid, "read policy: %v", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, int64(syntax.DefaultLimits.MaxBytes)+1))
	if err != nil {
		return nil, fail.New(fail.Invalid, "read policy: %v", err)
	}
	return src, nil
}
