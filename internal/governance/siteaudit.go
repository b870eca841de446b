package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/bundle"
)

// AuditCheck is `stella audit verify` at this site (without --dsn: that is
// internal/sync's), as given.
type AuditCheck struct {
	Trust  string // --trust: the trust config ("": as the site finds it; none found: the keys the data carries)
	Export string // --export FILE: verify this signed audit export instead of the database
	// Checkpoints are --checkpoint files (bundles this site exported, or
	// checkpoint envelopes) whose head the chain must still hold, signed by
	// a TrustRoots key (--trust-root and config bundle.trust_roots) or a
	// key of the trust config (docs/store.md).
	Checkpoints []string
	TrustRoots  []string
}

// VerifyAudit verifies the site's audit log under the trust config in
// force (VerifyAuditWith; the records accepted only because of
// AllowUnsignedTrust are said, Loud) and then, with c.Checkpoints, the
// chain against each checkpoint (bundle.CheckCheckpoints).
func (s *Site) VerifyAudit(ctx context.Context, c AuditCheck) (*AuditReport, error) {
	trust, err := s.InForce(ctx, c.Trust)
	if err != nil {
		return nil, err
	}
	st, err := s.Open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rep, err := VerifyAuditWith(ctx, st, trust, AuditOptions{AllowUnsignedTrust: s.AllowUnsignedTrust})
	if err != nil {
		return nil, err
	}
	for _, w := range rep.TrustWarnings {
		if s.Loud != nil {
			s.Loud("WARNING: accepted because of --allow-unsigned-trust: " + w)
		}
	}
	if len(c.Checkpoints) > 0 {
		keys, err := VerifyKeys(ctx, c.TrustRoots, trust, s.Existing(ctx))
		if err != nil {
			return nil, err
		}
		if rep.Checkpoints, err = bundle.CheckCheckpoints(ctx, st, c.Checkpoints, keys); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// VerifyAuditExport verifies the audit export c.Export offline, under the
// trust config in force when one is found (VerifyExportFile).
func (s *Site) VerifyAuditExport(ctx context.Context, c AuditCheck) (*ExportReport, error) {
	trust, err := s.InForce(ctx, c.Trust)
	if err != nil {
		return nil, err
	}
	return VerifyExportFile(ctx, c.Export, trust)
}
