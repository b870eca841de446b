package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// Lesson states (docs/lessons.md).
const (
	LessonPending   = "pending"
	LessonConverted = "converted_to_draft"
	LessonDeferred  = "deferred"
	LessonDismissed = "dismissed"
)

// Lesson is one recorded lesson.
type Lesson struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Severity       string          `json:"severity,omitempty"`
	SourceRun      string          `json:"sourceRun"`
	PolicyID       string          `json:"policyId"`
	PolicyVersion  int             `json:"policyVersion,omitempty"`
	EvaluationTime string          `json:"evaluationTime"`
	Gate           string          `json:"gate,omitempty"`
	Band           string          `json:"band,omitempty"`
	Label          string          `json:"label,omitempty"`
	Title          string          `json:"title"`
	Description    string          `json:"description"`
	ProposedAction string          `json:"proposedAction"`
	Evidence       json.RawMessage `json:"evidence"` // canonical JSON
	Status         string          `json:"status"`
	Draft          string          `json:"draft,omitempty"`
	DeferredUntil  string          `json:"deferredUntil,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	UpdatedAt      string          `json:"updatedAt"`
}

const lessonCols = `lesson_id, type, severity, source_run, policy_id, coalesce(policy_version, 0), evaluation_time, gate, band, label,
	title, description, proposed_action, evidence, status, draft, deferred_until, reason, created_at, updated_at`

func scanLesson(sc interface{ Scan(...any) error }) (Lesson, error) {
	var l Lesson
	var ev []byte
	err := sc.Scan(&l.ID, &l.Type, &l.Severity, &l.SourceRun, &l.PolicyID, &l.PolicyVersion, &l.EvaluationTime, &l.Gate, &l.Band, &l.Label,
		&l.Title, &l.Description, &l.ProposedAction, &ev, &l.Status, &l.Draft, &l.DeferredUntil, &l.Reason, &l.CreatedAt, &l.UpdatedAt)
	l.Evidence = ev
	return l, err
}

// AddLesson stores a new pending lesson under the next id L-n and returns
// it; a lesson of the same source run and type already stored is returned
// with created=false instead.
func (t *Tx) AddLesson(ctx context.Context, l Lesson) (Lesson, bool, error) {
	row := t.queryRow(ctx, `SELECT `+lessonCols+` FROM lessons WHERE tenant = ? AND source_run = ? AND type = ?`, t.tenant, l.SourceRun, l.Type)
	if old, err := scanLesson(row); err == nil {
		return old, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return l, false, err
	}
	var n int
	if err := t.queryRow(ctx, `SELECT coalesce(max(CAST(substr(lesson_id, 3) AS INTEGER)), 0) FROM lessons WHERE tenant = ?`, t.tenant).Scan(&n); err != nil {
		return l, false, err
	}
	l.ID = "L-" + strconv.Itoa(n+1)
	l.Status = LessonPending
	l.CreatedAt = timeText(t.s.Now())
	l.UpdatedAt = l.CreatedAt
	var version any
	if l.PolicyVersion > 0 {
		version = l.PolicyVersion
	}
	_, err := t.exec(ctx, `INSERT INTO lessons (tenant, lesson_id, type, severity, source_run, policy_id, policy_version, evaluation_time, gate, band, label,
		title, description, proposed_action, evidence, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.tenant, l.ID, l.Type, l.Severity, l.SourceRun, l.PolicyID, version, l.EvaluationTime, l.Gate, l.Band, l.Label,
		l.Title, l.Description, l.ProposedAction, []byte(l.Evidence), l.Status, l.CreatedAt, l.UpdatedAt)
	return l, err == nil, err
}

// LessonFilter selects lessons; zero values do not restrict.
type LessonFilter struct {
	Status, Type, Gate, Band string
	Since                    string // evaluation time at or after (RFC 3339)
}

// Lessons lists the tenant's lessons by id.
func (t *Tx) Lessons(ctx context.Context, f LessonFilter) ([]Lesson, error) {
	q := `SELECT ` + lessonCols + ` FROM lessons WHERE tenant = ?`
	args := []any{t.tenant}
	for _, c := range []struct{ col, val string }{{"status", f.Status}, {"type", f.Type}, {"gate", f.Gate}, {"band", f.Band}} {
		if c.val != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	if f.Since != "" {
		q += ` AND evaluation_time >= ?`
		args = append(args, f.Since)
	}
	q += ` ORDER BY CAST(substr(lesson_id, 3) AS INTEGER)`
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Lesson
	for rows.Next() {
		l, err := scanLesson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Lesson returns one lesson (fail.NotFound when there is none).
func (t *Tx) Lesson(ctx context.Context, id string) (Lesson, error) {
	l, err := scanLesson(t.queryRow(ctx, `SELECT `+lessonCols+` FROM lessons WHERE tenant = ? AND lesson_id = ?`, t.tenant, strings.ToUpper(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return l, fail.New(fail.NotFound, "lesson %s not found (tenant %s; see stella lessons ls)", id, t.tenant)
	}
	return l, err
}

// SetLesson stores a lesson's status and its transition fields.
func (t *Tx) SetLesson(ctx context.Context, l Lesson) error {
	_, err := t.exec(ctx, `UPDATE lessons SET status = ?, draft = ?, deferred_until = ?, reason = ?, updated_at = ? WHERE tenant = ? AND lesson_id = ?`,
		l.Status, l.Draft, l.DeferredUntil, l.Reason, timeText(t.s.Now()), t.tenant, l.ID)
	return err
}
