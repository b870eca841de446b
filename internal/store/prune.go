package store

import (
	"context"
	"errors"
	"time"
)

// DefaultRetention is how long run history is kept by default (docs/store.md
// "Maintenance").
const DefaultRetention = 365 * 24 * time.Hour

// PruneReport counts what Prune removed (or would remove, in a dry run).
type PruneReport struct {
	Before   string `json:"before"` // runs started before this time were removed
	Runs     int64  `json:"runs"`
	Findings int64  `json:"findings"`
	Explains int64  `json:"explains"`
	Blobs    int64  `json:"blobs"`
	DryRun   bool   `json:"dryRun"`
}

// Prune removes the tenant's runs started before cutoff with their
// findings, then the explain traces and blobs nothing references any more,
// in one transaction, and appends a store.pruned audit event. Snapshots,
// policy versions, keys and the audit log are kept: they are not history
// but the things history refers to.
func (s *Store) Prune(ctx context.Context, cutoff time.Time, dryRun bool) (PruneReport, error) {
	rep := PruneReport{Before: timeText(cutoff), DryRun: dryRun}
	err := s.Update(ctx, func(tx *Tx) error {
		tn := tx.tenant
		if err := tx.queryRow(ctx, `SELECT count(*) FROM runs WHERE tenant = ? AND started_at < ?`, tn, rep.Before).Scan(&rep.Runs); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT count(*) FROM findings f JOIN runs r ON r.tenant = f.tenant AND r.run_id = f.run_id
			WHERE r.tenant = ? AND r.started_at < ?`, tn, rep.Before).Scan(&rep.Findings); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM runs WHERE tenant = ? AND started_at < ?`, tn, rep.Before); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM explains WHERE tenant = ? AND NOT EXISTS (
			SELECT 1 FROM findings f WHERE f.tenant = explains.tenant AND f.explain_id = explains.digest)`, tn)
		if err != nil {
			return err
		}
		rep.Explains, _ = res.RowsAffected()
		res, err = tx.exec(ctx, `DELETE FROM blobs WHERE tenant = ?
			AND NOT EXISTS (SELECT 1 FROM snapshot_files f WHERE f.tenant = blobs.tenant AND f.digest = blobs.digest)
			AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant = blobs.tenant AND blobs.digest IN (r.ir_digest, r.source_map_digest))
			AND NOT EXISTS (SELECT 1 FROM run_set_members m WHERE m.tenant = blobs.tenant AND blobs.digest IN (m.ir_digest, m.source_map_digest))
			AND NOT EXISTS (SELECT 1 FROM policy_versions v WHERE v.tenant = blobs.tenant
				AND blobs.digest IN (v.ir_digest, v.source_digest, v.source_map_digest))`, tn)
		if err != nil {
			return err
		}
		rep.Blobs, _ = res.RowsAffected()
		if dryRun {
			return errDryRun
		}
		_, err = tx.Append(ctx, "store.pruned", "cli", s.path, rep)
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return rep, err
}

// errDryRun rolls back a transaction whose effects were only counted.
var errDryRun = errors.New("dry run")
