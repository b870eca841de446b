package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

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
		if got := canon.SelfDigest(data, "explainId"); got != d {
			rep.add("explain %s: content hashes to %s", d, got)
		}
	}
	return rows.Err()
}

// checkRuns recomputes each succeeded run's findings and explains digests
// from the stored rows, in finding order, and checks each run's record —
// the attested predicate — against its row, its audit events and its
// attestation (checkRecord).
func (t *Tx) checkRuns(ctx context.Context, rep *CheckReport) error {
	runs, err := t.Runs(ctx, RunFilter{})
	if err != nil {
		return err
	}
	events, err := t.runEvents(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		rep.Runs++
		full, err := t.Run(ctx, r.RunID)
		if err != nil {
			return err
		}
		for _, p := range checkRecord(full, events[r.RunID]) {
			rep.add("run %s: %s", r.RunID, p)
		}
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
	traces     [][]byte // each finding's trace, as in Explains
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
		out.traces = append(out.traces, ed)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fbuf.WriteByte(']')
	ebuf.WriteByte(']')
	out.Findings, out.Explains = fbuf.Bytes(), ebuf.Bytes()
	return out, nil
}

// VerifiedOutputs is RunOutputs for a succeeded run, checked against what
// the run recorded (Verify). Export reads a run's outputs through it;
// recording writes the engine's bytes without re-checking them.
func (t *Tx) VerifiedOutputs(ctx context.Context, r *Run) (*RunOutput, error) {
	out, err := t.RunOutputs(ctx, r.RunID)
	if err != nil {
		return nil, err
	}
	if err := out.Verify(r); err != nil {
		return nil, err
	}
	return out, nil
}

// Verify checks stored outputs against what run r recorded: its findings
// and explains digests and the content address of every trace. Replay
// compares first, so a tampered finding is named, then verifies.
func (out *RunOutput) Verify(r *Run) error {
	if d := canon.Digest(out.Findings); d != r.FindingsDigest {
		return fail.New(fail.Integrity, "run %s: stored findings hash to %s, recorded %s (see `stella store check`)", r.RunID, d, r.FindingsDigest)
	}
	if d := ExplainsDigest(out.ExplainIDs); d != r.ExplainsDigest {
		return fail.New(fail.Integrity, "run %s: stored explains hash to %s, recorded %s (see `stella store check`)", r.RunID, d, r.ExplainsDigest)
	}
	for i, tr := range out.traces {
		if id := out.ExplainIDs[i]; explainIDFast(tr, id) != id {
			return fail.New(fail.Integrity, "run %s: explain trace %s does not hash to its id (see `stella store check`)", r.RunID, id)
		}
	}
	return nil
}

// RunEvent is what a policy.run.completed, .imported or .failed audit
// event says about a run (auditPayload).
type RunEvent struct {
	Type           string `json:"-"`
	IRDigest       string `json:"irDigest"`
	InputsHash     string `json:"inputsHash"`
	Status         string `json:"status"`
	Verdict        string `json:"verdict"`
	FindingsDigest string `json:"findingsDigest"`
}

// ParseRunEvent reads an audit event that recorded a run; ok is false for
// any other event (or a payload that is not JSON: the chain's check
// reports that).
func ParseRunEvent(typ string, payload []byte) (e RunEvent, ok bool) {
	switch typ {
	case "policy.run.completed", "policy.run.imported", "policy.run.failed":
	default:
		return e, false
	}
	if json.Unmarshal(payload, &e) != nil {
		return e, false
	}
	e.Type = typ
	return e, true
}

// Records reports whether the event recorded this record's status,
// verdict, IR, inputs and findings.
func (e RunEvent) Records(rec *RunRecord) bool {
	return e.IRDigest == rec.Policy.IRDigest && e.InputsHash == rec.Inputs.InputsHash && e.Status == rec.Status &&
		e.Verdict == rec.Verdict && e.FindingsDigest == rec.Outputs.Findings &&
		(e.Type == "policy.run.failed") == (rec.Status == StatusFailed)
}

// runEvents returns the audit events that recorded runs, by run id.
func (t *Tx) runEvents(ctx context.Context) (map[string][]RunEvent, error) {
	evs, err := t.Events(ctx, EventFilter{Type: "policy.run."})
	if err != nil {
		return nil, err
	}
	out := map[string][]RunEvent{}
	for _, e := range evs {
		if re, ok := ParseRunEvent(e.Type, e.Payload); ok {
			out[e.Subject] = append(out[e.Subject], re)
		}
	}
	return out, nil
}

// checkRecord checks a run's stored record, the predicate its attestation
// signs, against the rest of what the database says about the run: it is
// canonical JSON naming the row's run id, status, verdict, mode, shadow
// flag, IR, inputs and output digests; an audit event (hash-chained)
// recorded the same outputs; and the stored attestation's predicate is the
// record. So an edited record, or a row edited to match, shows here; the
// signature itself is checked by `stella policy verify`.
func checkRecord(r *Run, events []RunEvent) []string {
	var problems []string
	if c, err := canon.Transform(r.Record); err != nil || !bytes.Equal(c, r.Record) {
		return []string{"the stored run record is not canonical JSON (edited?)"}
	}
	var rec RunRecord
	if err := json.Unmarshal(r.Record, &rec); err != nil {
		return []string{fmt.Sprintf("the stored run record does not decode: %v", err)}
	}
	for _, f := range []struct{ name, record, row string }{
		{"run id", rec.RunID, r.RunID},
		{"status", rec.Status, r.Status},
		{"verdict", rec.Verdict, r.Verdict},
		{"mode", rec.Mode, r.Mode},
		{"shadow", fmt.Sprint(rec.Shadow), fmt.Sprint(r.Shadow)},
		{"IR digest", rec.Policy.IRDigest, r.IRDigest},
		{"inputs hash", rec.Inputs.InputsHash, r.InputsHash},
		{"findings digest", rec.Outputs.Findings, r.FindingsDigest},
		{"explains digest", rec.Outputs.Explains, r.ExplainsDigest},
	} {
		if f.record != f.row {
			problems = append(problems, fmt.Sprintf("the record's %s is %q, the row's %q", f.name, f.record, f.row))
		}
	}
	if !slices.ContainsFunc(events, func(e RunEvent) bool { return e.Records(&rec) }) {
		problems = append(problems, "no policy.run.completed/imported/failed audit event records this status, verdict and these digests (the run was edited?)")
	}
	if r.Attestation != nil {
		if p := AttestedRecord(r.Attestation); p == nil || !bytes.Equal(p, r.Record) {
			problems = append(problems, "the attestation's predicate is not the stored record")
		}
	}
	return problems
}

// AttestedRecord returns the canonical predicate of a stored DSSE envelope
// around an in-toto statement, or nil when it has none.
func AttestedRecord(envelope []byte) []byte {
	var env struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(envelope, &env) != nil {
		return nil
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		if payload, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
			return nil
		}
	}
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if json.Unmarshal(payload, &st) != nil || st.Predicate == nil {
		return nil
	}
	c, err := canon.Transform(st.Predicate)
	if err != nil {
		return nil
	}
	return c
}
