package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// CheckReport is the outcome of Check. Problems is empty when the database
// is sound.
type CheckReport struct {
	Database     string   `json:"database"`
	Tenant       string   `json:"tenant"`
	Schema       int      `json:"schemaVersion"`
	Integrity    string   `json:"integrity"` // "ok" or SQLite's first complaint
	AuditEvents  int      `json:"auditEvents"`
	Blobs        int      `json:"blobs"`
	Explains     int      `json:"explains"`
	Runs         int      `json:"runs"`
	Findings     int      `json:"findings"`
	Snapshots    int      `json:"snapshots"`
	Problems     []string `json:"problems"`
	problemLimit int
}

// OK reports whether Check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

func (r *CheckReport) add(format string, args ...any) {
	if len(r.Problems) < r.problemLimit {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == r.problemLimit {
		r.Problems = append(r.Problems, "… more problems not listed")
	}
}

// Check verifies the database: SQLite's integrity_check and foreign keys,
// the tenant's audit chain, every blob and explain trace against its
// content address, and every run's findings and explains against the
// digests in its record. It reads in one transaction and changes nothing.
func (s *Store) Check(ctx context.Context) (*CheckReport, error) {
	rep := &CheckReport{Database: s.path, Tenant: s.tenant, Problems: []string{}, problemLimit: 50}
	err := s.View(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `PRAGMA user_version`).Scan(&rep.Schema); err != nil {
			return err
		}
		rows, err := tx.query(ctx, `PRAGMA integrity_check`)
		if err != nil {
			return err
		}
		msgs, err := scanStrings(rows)
		if err != nil {
			return err
		}
		rep.Integrity = "ok"
		if len(msgs) != 1 || msgs[0] != "ok" {
			rep.Integrity = msgs[0]
			for _, m := range msgs {
				rep.add("integrity_check: %s", m)
			}
		}
		fk, err := tx.query(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return err
		}
		for fk.Next() {
			var table, parent string
			var rowid, idx any
			if err := fk.Scan(&table, &rowid, &parent, &idx); err != nil {
				fk.Close()
				return err
			}
			rep.add("foreign key: a row of %s (rowid %v) refers to a missing %s row", table, rowid, parent)
		}
		fk.Close()

		n, err := tx.VerifyChain(ctx)
		rep.AuditEvents = n
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				return err
			}
			rep.add("%v", err)
		}
		if err := tx.checkBlobs(ctx, rep); err != nil {
			return err
		}
		if err := tx.checkExplains(ctx, rep); err != nil {
			return err
		}
		var dangling int
		if err := tx.queryRow(ctx, `SELECT count(*) FROM runs r WHERE r.tenant = ? AND r.source_map_digest IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.tenant = r.tenant AND b.digest = r.source_map_digest)`, tx.tenant).Scan(&dangling); err != nil {
			return err
		}
		if dangling > 0 {
			rep.add("%d run(s) refer to a missing source map blob", dangling)
		}
		if err := tx.checkRuns(ctx, rep); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT count(*) FROM snapshots WHERE tenant = ?`, tx.tenant).Scan(&rep.Snapshots)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (t *Tx) checkBlobs(ctx context.Context, rep *CheckReport) error {
	rows, err := t.query(ctx, `SELECT digest, size, data FROM blobs WHERE tenant = ? ORDER BY digest`, t.tenant)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var size int64
		var data []byte
		if err := rows.Scan(&d, &size, &data); err != nil {
			return err
		}
		rep.Blobs++
		if got := canon.Digest(data); got != d {
			rep.add("blob %s: content hashes to %s", d, got)
		} else if int64(len(data)) != size {
			rep.add("blob %s: size %d, recorded %d", d, len(data), size)
		}
	}
	return rows.Err()
}

func (t *Tx) checkExplains(ctx context.Context, rep *CheckReport) error {
	rows, err := t.query(ctx, `SELECT digest, data FROM explains WHERE tenant = ? ORDER BY digest`, t.tenant)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var data []byte
		if err := rows.Scan(&d, &data); err != nil {
			return err
		}
		rep.Explains++
		if got := ExplainID(data); got != d {
			rep.add("explain %s: content hashes to %s", d, got)
		}
	}
	return rows.Err()
}

// checkRuns recomputes each succeeded run's findings and explains digests
// from the stored rows, in finding order.
func (t *Tx) checkRuns(ctx context.Context, rep *CheckReport) error {
	runs, err := t.Runs(ctx, RunFilter{})
	if err != nil {
		return err
	}
	for _, r := range runs {
		rep.Runs++
		out, err := t.RunOutputs(ctx, r.RunID)
		if err != nil {
			return err
		}
		n := len(out.ExplainIDs)
		rep.Findings += n
		if r.Status != StatusSucceeded {
			continue
		}
		if n != r.Findings {
			rep.add("run %s: %d findings stored, %d recorded", r.RunID, n, r.Findings)
		}
		if d := canon.Digest(out.Findings); d != r.FindingsDigest {
			rep.add("run %s: findings hash to %s, recorded %s", r.RunID, d, r.FindingsDigest)
		}
		if d := ExplainsDigest(out.ExplainIDs); d != r.ExplainsDigest {
			rep.add("run %s: explains hash to %s, recorded %s", r.RunID, d, r.ExplainsDigest)
		}
	}
	return nil
}

// RunOutput is a run's outputs as stored, in finding order.
type RunOutput struct {
	Findings   []byte   // canonical JSON array of the findings without traces: the findings digest covers it
	Explains   []byte   // canonical JSON array of the traces
	ExplainIDs []string // each finding's explain id: the explains digest covers them
}

// RunOutputs rebuilds a run's outputs from the stored rows. A missing trace
// leaves null in its place, so its address will not match.
func (t *Tx) RunOutputs(ctx context.Context, runID string) (*RunOutput, error) {
	rows, err := t.query(ctx, `SELECT f.data, f.explain_id, e.data FROM findings f
		LEFT JOIN explains e ON e.tenant = f.tenant AND e.digest = f.explain_id
		WHERE f.tenant = ? AND f.run_id = ? ORDER BY f.finding_id`, t.tenant, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &RunOutput{ExplainIDs: []string{}}
	fbuf, ebuf := bytes.NewBufferString("["), bytes.NewBufferString("[")
	for rows.Next() {
		var fd, ed []byte
		var id string
		if err := rows.Scan(&fd, &id, &ed); err != nil {
			return nil, err
		}
		if ed == nil {
			ed = []byte("null")
		}
		if len(out.ExplainIDs) > 0 {
			fbuf.WriteByte(',')
			ebuf.WriteByte(',')
		}
		fbuf.Write(fd)
		ebuf.Write(ed)
		out.ExplainIDs = append(out.ExplainIDs, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fbuf.WriteByte(']')
	ebuf.WriteByte(']')
	out.Findings, out.Explains = fbuf.Bytes(), ebuf.Bytes()
	return out, nil
}
