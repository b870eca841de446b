package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/store"
)

// Policy is a policy ready to evaluate and to record.
type Policy struct {
	ID            string // P-n, or the policy's own name for a file
	Version       int    // 0 for a file
	File          string // the policy file compiled, "" for a stored version
	IR            []byte // canonical
	Digest        string
	Policy        *ir.Policy
	SourceMap     *ir.SourceMap
	SourceMapJSON []byte
	// Source and Diagnostics are the text and the compiler's warnings of a
	// policy file compiled now; rendering them is the caller's.
	Source      []byte
	Diagnostics []dsl.Diagnostic
}

// registered is the registry id of a stored version, "" for a file.
func (p *Policy) registered() string {
	if p.Version == 0 {
		return ""
	}
	return p.ID
}

// CompileError is a policy file that does not compile.
type CompileError struct {
	File        string
	Source      []byte
	Diagnostics []dsl.Diagnostic
}

func (e *CompileError) Error() string { return fmt.Sprintf("%s: the policy does not compile", e.File) }

// LoadPolicy resolves ref: a registered P-n, P-n@N, P-n@active or
// P-n@latest in st (a bare P-n picks by dflt: store.PickActive or
// PickLatest; docs/governance.md "Which version runs"; a file of that name
// wins), or a policy file compiled now. st may be nil for a file.
func LoadPolicy(ctx context.Context, st *store.Store, ref, dflt string) (*Policy, error) {
	sel, registered, err := store.ParsePolicySel(ref)
	if err != nil {
		return nil, err
	}
	if !registered || fileExists(ref) {
		src, err := dsl.ReadFile(ref)
		if err != nil {
			return nil, err
		}
		return Compile(ref, src)
	}
	if st == nil {
		return nil, fail.New(fail.NotFound, "policy %s: no database", ref)
	}
	var pv store.PolicyVersion
	var irBytes, sm []byte
	err = st.View(ctx, func(tx *store.Tx) error {
		var err error
		if pv, err = tx.SelectVersion(ctx, sel, dflt); err != nil {
			return err
		}
		if irBytes, err = tx.Blob(ctx, pv.IRDigest); err != nil {
			return err
		}
		if pv.SourceMapDigest != "" {
			sm, err = tx.Blob(ctx, pv.SourceMapDigest)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := DecodePolicy(ref, irBytes, sm)
	if err != nil {
		return nil, err
	}
	p.ID, p.Version = sel.ID, pv.Version
	return p, nil
}

// Compile compiles a policy file's source; a policy that does not compile
// is a *CompileError.
func Compile(name string, src []byte) (*Policy, error) {
	res := dsl.CompileResult(name, src)
	if res.Policy == nil {
		return nil, &CompileError{File: name, Source: src, Diagnostics: res.Diagnostics}
	}
	sm, err := canon.Marshal(res.SourceMap)
	if err != nil {
		return nil, err
	}
	return &Policy{ID: res.Policy.PolicyID, File: name, IR: res.IR, Digest: res.Digest, Policy: res.Policy, SourceMap: res.SourceMap,
		SourceMapJSON: sm, Source: src, Diagnostics: res.Diagnostics}, nil
}

// named prefixes an evaluation refused by the cost limit with the policy
// file, so the refusal names the file to split (docs/exit-codes.md).
func (p *Policy) named(err error) error {
	if p.File == "" || !errors.Is(err, engine.ErrCostLimit) {
		return err
	}
	return fail.New(fail.Invalid, "%s: %w", p.File, err)
}

// DecodePolicy reads a stored IR and source map (nil when there is none);
// name says whose they are in errors.
func DecodePolicy(name string, irBytes, sourceMap []byte) (*Policy, error) {
	p, err := ir.Decode(irBytes)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: stored IR: %v", name, err)
	}
	lp := &Policy{IR: irBytes, Policy: p, Digest: canon.Digest(irBytes), SourceMapJSON: sourceMap}
	if sourceMap != nil {
		lp.SourceMap = new(ir.SourceMap)
		if err := json.Unmarshal(sourceMap, lp.SourceMap); err != nil {
			return nil, fail.New(fail.Integrity, "%s: stored source map: %v", name, err)
		}
	}
	return lp, nil
}

// IsRegistered tells a registered policy reference (P-n[@v]) from a file.
func IsRegistered(ref string) bool {
	if ref == "" || fileExists(ref) {
		return false
	}
	_, _, ok, err := store.ParsePolicyRef(ref)
	return err == nil && ok
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
