package cli

import (
	"context"
	"errors"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
)

// Who may record a run. Without a trust config (single-user local use)
// anyone may; when one is in force, `policy run` is an action of the key
// that signs it, which must hold policy:run, and `policy simulate --record`
// one that holds policy:simulate (docs/governance.md).

// trustInForce returns the trust config that governs this invocation: the
// file --trust or config trust_file names (which must exist), else the
// first one the governance commands would find; nil when there is none.
func (a *App) trustInForce(flag string) (*governance.Trust, error) {
	t, err := a.loadTrust(flag, false)
	if flag == "" && fail.Is(err, fail.NotFound) && (a.Config == nil || a.Config.GetString("trust_file") == "") {
		return nil, nil
	}
	return t, err
}

// authorizeRun resolves the signing key of a command that records a run
// and decides who records it (governance.AuthorizeRun) under the trust
// config in force; with none found, a database that records one warns
// (governance.UngovernedWarning).
func (a *App) authorizeRun(trustFlag string, sign *signFlags, scope string) (*governance.RunActor, error) {
	trust, err := a.trustInForce(trustFlag)
	if err != nil {
		return nil, err
	}
	if trust == nil && fileExists(a.Global.DB) {
		st, err := a.openStore(context.Background(), true)
		if err != nil {
			return nil, err
		}
		w, err := governance.UngovernedWarning(context.Background(), st)
		st.Close()
		if err != nil {
			return nil, err
		}
		if w != "" {
			a.loud(w)
		}
	}
	key, err := governance.ResolveSigningKey(sign.query(a))
	if err != nil {
		return nil, err
	}
	return governance.AuthorizeRun(trust, key, scope)
}

// auditIRMismatch records the policy.ir_hash_mismatch audit event when a
// command failed on an IR that fails its digest (docs/governance.md, "IR
// digests"); best effort, after the command's own transaction rolled back.
func (a *App) auditIRMismatch(err error) {
	var m *governance.IRMismatch
	if !errors.As(err, &m) || a.Global.DB == "" || !fileExists(a.Global.DB) {
		return
	}
	ctx := context.Background()
	st, err := a.openStore(ctx, true)
	if err != nil {
		return
	}
	defer st.Close()
	if err := governance.RecordIRMismatch(ctx, st, "cli", m); err != nil {
		a.infof("stella: warning: could not record %s: %v", governance.EventIRHashMismatch, err)
	}
}
