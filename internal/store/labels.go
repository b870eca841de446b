package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

// Run labels and component inventories (migration 0007, docs/runs.md
// "Labels and baselines").

// ValidLabel checks a run label.
func ValidLabel(l string) error {
	if !labelText(l) || strings.Contains(l, "..") {
		return fail.New(fail.Invalid, "label %q: want letters, digits and . _ / + - (at most 128, not starting with a symbol)", l)
	}
	return nil
}

// ValidLabels checks run labels (--label), the first bad one named.
func ValidLabels(labels []string) error {
	for _, l := range labels {
		if err := ValidLabel(l); err != nil {
			return err
		}
	}
	return nil
}

// labelText reports whether l is what a label may be, a branch or release
// name: 1 to 128 letters, digits and . _ / + -, starting with a letter or
// digit. (The regexp it replaces cost every start of stella ~118 KB and
// ~1,700 allocations in package init, compiling its {0,127}.)
func labelText(l string) bool {
	if l == "" || len(l) > 128 {
		return false
	}
	for i := range len(l) {
		switch c := l[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && strings.IndexByte("._/+-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// labelTime formats the labelling time so that text order is time order.
func labelTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// putLabels labels a run (again: a label given anew becomes the latest).
func (t *Tx) putLabels(ctx context.Context, runID string, labels []string, at time.Time) error {
	for _, l := range labels {
		if _, err := t.exec(ctx, `INSERT OR REPLACE INTO run_labels (tenant, run_id, label, labelled_at) VALUES (?, ?, ?, ?)`,
			t.tenant, runID, l, labelTime(at)); err != nil {
			return err
		}
	}
	return nil
}

// putComponents stores a run's component inventory unless it has one.
func (t *Tx) putComponents(ctx context.Context, runID string, inv []byte) error {
	if inv == nil {
		return nil
	}
	_, err := t.exec(ctx, `INSERT OR IGNORE INTO run_components (tenant, run_id, components) VALUES (?, ?, ?)`, t.tenant, runID, string(inv))
	return err
}

// RunLabels returns a run's labels, sorted.
func (t *Tx) RunLabels(ctx context.Context, runID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT label FROM run_labels WHERE tenant = ? AND run_id = ? ORDER BY label`, t.tenant, runID)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// RunComponents returns a run's component inventory (JSON), or nil when
// none was kept.
func (t *Tx) RunComponents(ctx context.Context, runID string) ([]byte, error) {
	var s string
	err := t.queryRow(ctx, `SELECT components FROM run_components WHERE tenant = ? AND run_id = ?`, t.tenant, runID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// ResolveBaselineRun resolves a baseline reference: "latest" (the latest
// succeeded run), "latest:LABEL" (the succeeded run most recently recorded
// with that label), or whatever ResolveRun takes.
func (t *Tx) ResolveBaselineRun(ctx context.Context, ref string) (string, error) {
	label, labelled := strings.CutPrefix(ref, "latest:")
	if !labelled && ref != "latest" {
		return t.ResolveRun(ctx, ref)
	}
	q := `SELECT run_id FROM runs WHERE tenant = ? AND status = 'succeeded' ORDER BY started_at DESC, rowid DESC LIMIT 1`
	args := []any{t.tenant}
	if labelled {
		if err := ValidLabel(label); err != nil {
			return "", err
		}
		q = `SELECT l.run_id FROM run_labels l JOIN runs r ON r.tenant = l.tenant AND r.run_id = l.run_id
			WHERE l.tenant = ? AND l.label = ? AND r.status = 'succeeded' ORDER BY l.labelled_at DESC, l.rowid DESC LIMIT 1`
		args = append(args, label)
	}
	var id string
	err := t.queryRow(ctx, q, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if labelled {
			return "", fail.New(fail.NotFound, "no succeeded run labelled %q (tenant %s; label runs with --label)", label, t.tenant)
		}
		return "", fail.New(fail.NotFound, "no succeeded runs recorded (tenant %s)", t.tenant)
	}
	return id, err
}

// Labels returns every run label of the tenant, sorted.
func (t *Tx) Labels(ctx context.Context) ([]string, error) {
	rows, err := t.query(ctx, `SELECT DISTINCT label FROM run_labels WHERE tenant = ? ORDER BY label`, t.tenant)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}
