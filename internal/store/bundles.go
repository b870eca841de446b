package store

import (
	"context"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// This file holds what offline bundle import (internal/bundle) needs beyond
// the rest of the store: content recorded at another site keeps its own
// policy version numbers and run rows, inside the importing transaction.

// PutPolicyVersion stores a policy version recorded elsewhere under its own
// id and version number (AddPolicyVersion numbers versions itself). The
// digests in pv must be those of ir, source and sourceMap. Storing a version
// that is already stored with the same IR digest reports created=false; the
// same id and version with a different IR is an integrity error.
func (t *Tx) PutPolicyVersion(ctx context.Context, pv PolicyVersion, ir, source, sourceMap []byte) (created bool, err error) {
	if err := ValidPolicyID(pv.PolicyID); err != nil {
		return false, err
	}
	if pv.Version < 1 {
		return false, fail.New(fail.Invalid, "policy %s: version %d: want ≥ 1", pv.PolicyID, pv.Version)
	}
	if canon.Digest(ir) != pv.IRDigest || canon.Digest(source) != pv.SourceDigest ||
		(sourceMap != nil || pv.SourceMapDigest != "") && canon.Digest(sourceMap) != pv.SourceMapDigest {
		return false, fail.New(fail.Integrity, "policy %s: the IR, source or source map does not match its digest", pv)
	}
	old, err := t.PolicyVersion(ctx, pv.PolicyID, pv.Version)
	switch {
	case err == nil && old.IRDigest == pv.IRDigest:
		return false, nil
	case err == nil:
		return false, fail.New(fail.Integrity, "policy %s is already stored with IR %s, not %s", pv, old.IRDigest, pv.IRDigest)
	case !fail.Is(err, fail.NotFound):
		return false, err
	}
	if _, err := t.exec(ctx, `INSERT INTO policies (tenant, policy_id, name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, t.tenant, pv.PolicyID, pv.Name, timeText(t.s.Now())); err != nil {
		return false, err
	}
	if _, err := t.PutBlob(ctx, MediaIR, ir); err != nil {
		return false, err
	}
	if _, err := t.PutBlob(ctx, MediaSource, source); err != nil {
		return false, err
	}
	var sm any
	if pv.SourceMapDigest != "" {
		if _, err := t.PutBlob(ctx, MediaSourceMap, sourceMap); err != nil {
			return false, err
		}
		sm = pv.SourceMapDigest
	}
	if pv.CreatedAt == "" {
		pv.CreatedAt = timeText(t.s.Now())
	}
	_, err = t.exec(ctx, `INSERT INTO policy_versions (tenant, policy_id, version, ir_digest, source_digest, source_map_digest, author, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.tenant, pv.PolicyID, pv.Version, pv.IRDigest, pv.SourceDigest, sm, pv.Author, pv.CreatedAt)
	return err == nil, err
}

// ImportRun stores a succeeded run recorded at another site, inside the
// caller's transaction: the same rows RecordRun writes, after checking that
// the findings and explain traces hash to the digests of the record. A run
// already stored with the same findings digest reports created=false; with
// different outputs it is an integrity error. The audit event is
// policy.run.imported.
func (t *Tx) ImportRun(ctx context.Context, req RecordRequest, actor string) (created bool, err error) {
	rec := req.Record
	if rec == nil || req.Result == nil || rec.Status != StatusSucceeded {
		return false, fail.New(fail.Invalid, "import run: only a succeeded run with its result can be imported")
	}
	if canon.Digest(req.Meta.IR) != rec.Policy.IRDigest {
		return false, fail.New(fail.Integrity, "run %s: the IR does not hash to the record's %s", rec.RunID, rec.Policy.IRDigest)
	}
	if rec.Outputs.Findings != req.Result.Digests.Findings || rec.Outputs.Explains != req.Result.Digests.Explains {
		return false, fail.New(fail.Integrity, "run %s: the record's output digests do not match its result", rec.RunID)
	}
	rows, explains, err := findingRows(req.Result, rec)
	if err != nil {
		return false, fail.Wrap(fail.Integrity, err)
	}
	if old, err := t.Run(ctx, rec.RunID); err == nil {
		if old.FindingsDigest != rec.Outputs.Findings || old.ExplainsDigest != rec.Outputs.Explains {
			return false, fail.New(fail.Integrity, "run %s is already stored with different outputs (findings %s, imported %s)", rec.RunID, old.FindingsDigest, rec.Outputs.Findings)
		}
		return false, nil
	} else if !fail.Is(err, fail.NotFound) {
		return false, err
	}
	recBytes, err := canon.Marshal(rec)
	if err != nil {
		return false, err
	}
	head := *req.Result
	head.Findings = nil
	resBytes, err := canon.Marshal(head)
	if err != nil {
		return false, err
	}
	if err := t.insertRun(ctx, req, recBytes, resBytes, rows, explains); err != nil {
		return false, err
	}
	if _, err := t.Append(ctx, "policy.run.imported", actor, rec.RunID, auditPayload(rec)); err != nil {
		return false, err
	}
	return true, nil
}
