package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// This file holds the governance tables of migration 0003: lifecycle
// states, signed statements, approval attachments and exceptions. The
// rules (who may move what where) live in internal/governance; the store
// only keeps the rows.

// Lifecycle states of a policy version.
const (
	StateDraft     = "draft"
	StateSubmitted = "submitted"
	StateApproved  = "approved"
	StateActive    = "active"
	StateArchived  = "archived"
)

// Lifecycle is the lifecycle row of one policy version.
type Lifecycle struct {
	PolicyID  string   `json:"policyId"`
	Version   int      `json:"version"`
	State     string   `json:"state"`
	Reviewers []string `json:"reviewers"`
	UpdatedAt string   `json:"updatedAt,omitempty"`
	UpdatedBy int64    `json:"updatedBy,omitempty"` // audit event seq
}

// SetLifecycle records the state of a policy version after the transition
// recorded by audit event seq.
func (t *Tx) SetLifecycle(ctx context.Context, l Lifecycle, seq int64) error {
	if l.Reviewers == nil {
		l.Reviewers = []string{}
	}
	rev, err := json.Marshal(l.Reviewers)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO policy_lifecycle (tenant, policy_id, version, state, reviewers, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, policy_id, version) DO UPDATE SET state = excluded.state, reviewers = excluded.reviewers,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		t.tenant, l.PolicyID, l.Version, l.State, string(rev), timeText(t.s.Now()), seq)
	return err
}

// Lifecycles returns the lifecycle of every version of a policy (all
// policies when policyID is ""), by policy number then version. Versions
// registered outside governance are drafts.
func (t *Tx) Lifecycles(ctx context.Context, policyID string) ([]Lifecycle, error) {
	q := `SELECT v.policy_id, v.version, coalesce(l.state, 'draft'), coalesce(l.reviewers, '[]'), coalesce(l.updated_at, v.created_at),
		coalesce(l.updated_by, 0)
		FROM policy_versions v LEFT JOIN policy_lifecycle l
			ON l.tenant = v.tenant AND l.policy_id = v.policy_id AND l.version = v.version
		WHERE v.tenant = ?`
	args := []any{t.tenant}
	if policyID != "" {
		q += ` AND v.policy_id = ?`
		args = append(args, policyID)
	}
	q += ` ORDER BY CAST(substr(v.policy_id, 3) AS INTEGER), v.version`
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Lifecycle
	for rows.Next() {
		var l Lifecycle
		var rev string
		if err := rows.Scan(&l.PolicyID, &l.Version, &l.State, &rev, &l.UpdatedAt, &l.UpdatedBy); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rev), &l.Reviewers); err != nil {
			return nil, fail.New(fail.Integrity, "policy %s@%d: reviewers column is not a JSON list", l.PolicyID, l.Version)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LifecycleOf returns the lifecycle of one version (NotFound when the
// version does not exist).
func (t *Tx) LifecycleOf(ctx context.Context, policyID string, version int) (Lifecycle, error) {
	ls, err := t.Lifecycles(ctx, policyID)
	if err != nil {
		return Lifecycle{}, err
	}
	for _, l := range ls {
		if l.Version == version {
			return l, nil
		}
	}
	return Lifecycle{}, fail.New(fail.NotFound, "policy %s@%d not found", policyID, version)
}

// NextPolicyID returns the first unused policy id P-n (one more than the
// largest registered number).
func (t *Tx) NextPolicyID(ctx context.Context) (string, error) {
	var n sql.NullInt64
	err := t.queryRow(ctx, `SELECT max(CAST(substr(policy_id, 3) AS INTEGER)) FROM policies WHERE tenant = ?`, t.tenant).Scan(&n)
	if err != nil {
		return "", err
	}
	return "P-" + strconv.FormatInt(n.Int64+1, 10), nil
}

// NextSeq returns the seq the next audit event of the tenant will get.
// Inside a write transaction nobody else can take it first.
func (t *Tx) NextSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := t.queryRow(ctx, `SELECT max(seq) FROM audit_events WHERE tenant = ?`, t.tenant).Scan(&n); err != nil {
		return 0, err
	}
	return n.Int64 + 1, nil
}

// Statement is one signed governance statement as stored.
type Statement struct {
	Digest    string `json:"digest"` // sha256 of Envelope
	Seq       int64  `json:"seq"`    // the audit event that recorded it
	Action    string `json:"action"`
	Subject   string `json:"subject"`
	KeyID     string `json:"keyId"`
	Principal string `json:"principal"`
	PublicPEM string `json:"publicKey"`
	Envelope  []byte `json:"-"`
}

// PutStatement stores a signed statement. Its digest is computed here.
func (t *Tx) PutStatement(ctx context.Context, s *Statement) error {
	s.Digest = canon.Digest(s.Envelope)
	_, err := t.exec(ctx, `INSERT INTO governance_statements (tenant, digest, seq, action, subject, key_id, principal, public_pem, envelope)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.tenant, s.Digest, s.Seq, s.Action, s.Subject, s.KeyID, s.Principal, s.PublicPEM, s.Envelope)
	return err
}

// StatementFilter selects statements. Zero values select everything.
type StatementFilter struct {
	Subject string // exact subject, or a prefix ending in "@" ("P-1@")
	Action  string
	Digest  string
}

// Statements returns statements in the order they were recorded.
func (t *Tx) Statements(ctx context.Context, f StatementFilter) ([]Statement, error) {
	q := `SELECT digest, seq, action, subject, key_id, principal, public_pem, envelope FROM governance_statements WHERE tenant = ?`
	args := []any{t.tenant}
	if f.Subject != "" {
		if strings.HasSuffix(f.Subject, "@") {
			q += ` AND subject LIKE ? ESCAPE '\'`
			args = append(args, likeEscape(f.Subject)+"%")
		} else {
			q += ` AND subject = ?`
			args = append(args, f.Subject)
		}
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.Digest != "" {
		q += ` AND digest = ?`
		args = append(args, f.Digest)
	}
	q += ` ORDER BY seq, digest`
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, func(s *Statement) []any {
		return []any{&s.Digest, &s.Seq, &s.Action, &s.Subject, &s.KeyID, &s.Principal, &s.PublicPEM, &s.Envelope}
	})
}

// PutAttachment stores an approval attachment and returns its digest.
func (t *Tx) PutAttachment(ctx context.Context, data []byte) (string, error) {
	d := canon.Digest(data)
	if data == nil {
		data = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO governance_attachments (tenant, digest, size, data) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, t.tenant, d, len(data), data)
	return d, err
}

// Attachment returns an attachment, checking it still hashes to digest.
func (t *Tx) Attachment(ctx context.Context, digest string) ([]byte, error) {
	var data []byte
	err := t.queryRow(ctx, `SELECT data FROM governance_attachments WHERE tenant = ? AND digest = ?`, t.tenant, digest).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "attachment %s not found", digest)
	}
	if err != nil {
		return nil, err
	}
	if got := canon.Digest(data); got != digest {
		return nil, fail.New(fail.Integrity, "attachment %s: stored bytes hash to %s", digest, got)
	}
	return data, nil
}

// ExceptionRow is a stored exception.
type ExceptionRow struct {
	Exception  model.Exception
	PolicyID   string // "" = every policy
	CreatedAt  string
	UpdatedAt  string
	ExpiredSeq int64 // the exception.expired audit event, 0 until recorded
}

// NextExceptionID returns the first unused exception id EX-n.
func (t *Tx) NextExceptionID(ctx context.Context) (string, error) {
	var n sql.NullInt64
	err := t.queryRow(ctx, `SELECT max(CAST(substr(exception_id, 4) AS INTEGER)) FROM exceptions WHERE tenant = ?`, t.tenant).Scan(&n)
	if err != nil {
		return "", err
	}
	return "EX-" + strconv.FormatInt(n.Int64+1, 10), nil
}

// PutException inserts or replaces an exception.
func (t *Tx) PutException(ctx context.Context, r *ExceptionRow) error {
	data, err := canon.Marshal(r.Exception)
	if err != nil {
		return err
	}
	now := timeText(t.s.Now())
	if r.CreatedAt == "" {
		r.CreatedAt = now
	}
	r.UpdatedAt = now
	_, err = t.exec(ctx, `INSERT INTO exceptions (tenant, exception_id, status, policy_id, expires, data, created_at, updated_at, expired_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, exception_id) DO UPDATE SET status = excluded.status, policy_id = excluded.policy_id,
			expires = excluded.expires, data = excluded.data, updated_at = excluded.updated_at, expired_seq = excluded.expired_seq`,
		t.tenant, r.Exception.ID, r.Exception.Status, r.PolicyID, r.Exception.Expires, string(data), r.CreatedAt, r.UpdatedAt, r.ExpiredSeq)
	return err
}

// ExceptionFilter selects exceptions. Zero values select everything.
type ExceptionFilter struct {
	ID       string
	Status   string // requested, approved or revoked
	PolicyID string // exceptions for this policy and for every policy
}

// Exceptions returns exceptions by number.
func (t *Tx) Exceptions(ctx context.Context, f ExceptionFilter) ([]ExceptionRow, error) {
	q := `SELECT exception_id, status, policy_id, data, created_at, updated_at, expired_seq FROM exceptions WHERE tenant = ?`
	args := []any{t.tenant}
	if f.ID != "" {
		q += ` AND exception_id = ?`
		args = append(args, f.ID)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.PolicyID != "" {
		q += ` AND policy_id IN ('', ?)`
		args = append(args, f.PolicyID)
	}
	q += ` ORDER BY CAST(substr(exception_id, 4) AS INTEGER), exception_id`
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExceptionRow
	for rows.Next() {
		var r ExceptionRow
		var id, status, data string
		if err := rows.Scan(&id, &status, &r.PolicyID, &data, &r.CreatedAt, &r.UpdatedAt, &r.ExpiredSeq); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &r.Exception); err != nil {
			return nil, fail.New(fail.Integrity, "exception %s: stored data does not decode: %v", id, err)
		}
		if r.Exception.ID != id || r.Exception.Status != status {
			return nil, fail.New(fail.Integrity, "exception %s: stored data (%s, %s) disagrees with its row (%s, %s)",
				id, r.Exception.ID, r.Exception.Status, id, status)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Exception returns one exception.
func (t *Tx) Exception(ctx context.Context, id string) (ExceptionRow, error) {
	rs, err := t.Exceptions(ctx, ExceptionFilter{ID: id})
	if err != nil {
		return ExceptionRow{}, err
	}
	if len(rs) == 0 {
		return ExceptionRow{}, fail.New(fail.NotFound, "exception %s not found (see `stella exception list`)", id)
	}
	return rs[0], nil
}

// RunQuery selects the latest run for governance evidence. Zero values
// select everything.
type RunQuery struct {
	IRDigest string
	Modes    []string // ModeRun, ModeSimulate
	Shadow   *bool
	Status   string // StatusSucceeded or StatusFailed
	Since    string // started at or after, RFC 3339
}

// LatestRun returns the most recently started run matching q, or NotFound.
func (t *Tx) LatestRun(ctx context.Context, q RunQuery) (*Run, error) {
	sqlq := `SELECT ` + runColumns + ` FROM runs WHERE tenant = ?`
	args := []any{t.tenant}
	if q.IRDigest != "" {
		sqlq += ` AND ir_digest = ?`
		args = append(args, q.IRDigest)
	}
	if len(q.Modes) > 0 {
		sqlq += ` AND mode IN (?` + strings.Repeat(", ?", len(q.Modes)-1) + `)`
		for _, m := range q.Modes {
			args = append(args, m)
		}
	}
	if q.Shadow != nil {
		sqlq += ` AND shadow = ?`
		args = append(args, boolInt(*q.Shadow))
	}
	if q.Status != "" {
		sqlq += ` AND status = ?`
		args = append(args, q.Status)
	}
	if q.Since != "" {
		sqlq += ` AND started_at >= ?`
		args = append(args, q.Since)
	}
	sqlq += ` ORDER BY started_at DESC, completed_at DESC, run_id DESC LIMIT 1`
	r, err := scanRun(t.queryRow(ctx, sqlq, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "no matching run")
	}
	return r, err
}

// String formats a lifecycle row as P-n@v.
func (l Lifecycle) String() string { return fmt.Sprintf("%s@%d", l.PolicyID, l.Version) }
