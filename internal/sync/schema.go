package sync

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/migrations"
)

// Migrations of the shared schema are the files migrations/NNNN_name.sql,
// applied in order; policy.schema_migrations records each one applied.
// Applied files are never edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// steps returns the embedded migrations in order (migrations.Load).
func steps() []migrations.Migration { return migrations.Load(migrationFS, "sync") }

// SchemaVersion is the version of the shared schema this binary writes.
func SchemaVersion() int { return len(steps()) }

// migrateLock is the key of the advisory lock that serialises migrations
// of concurrent syncs ("stella" in ASCII).
const migrateLock = 0x7374656c6c61

// schemaVersion reads the version of schema policy: 0 when it does not
// exist yet.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('policy.schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM policy.schema_migrations`).Scan(&v)
	return v, err
}

// targetID reads the shared database's id (policy.meta target_id), which
// the pushes and checkpoints a site signs name.
func targetID(ctx context.Context, q querier) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT value FROM policy.meta WHERE key = 'target_id'`).Scan(&id)
	return id, err
}

// eventHash reads the hash of audit event seq of site's chain in
// PostgreSQL (pgx.ErrNoRows when it holds no such event).
func eventHash(ctx context.Context, q querier, tenant, site string, seq int64) (string, error) {
	var h string
	err := q.QueryRow(ctx, `SELECT event_hash FROM policy.audit_events WHERE tenant = $1 AND source_site = $2 AND seq = $3`,
		tenant, site, seq).Scan(&h)
	return h, err
}

// querier is what pgx.Conn and pgx.Tx have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// migrate brings schema policy up to version upto (SchemaVersion for a
// real sync) in one transaction and returns the versions before and after.
// A schema newer than this binary knows is refused.
func migrate(ctx context.Context, conn *pgx.Conn, upto int) (from, to int, err error) {
	ms := steps()[:upto]
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return 0, 0, err
	}
	_, err = tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS policy;
		CREATE TABLE IF NOT EXISTS policy.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
	if err != nil {
		return 0, 0, err
	}
	from, err = schemaVersion(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	if err := checkNotNewer(from); err != nil {
		return from, from, err
	}
	for _, m := range ms[min(from, len(ms)):] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return from, from, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO policy.schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return from, from, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return from, from, err
	}
	return from, max(from, len(ms)), nil
}

func checkNotNewer(v int) error {
	if v > SchemaVersion() {
		return fail.New(fail.Invalid, "PostgreSQL schema policy has version %d, written by a newer stella (this one knows up to %d); upgrade stella", v, SchemaVersion())
	}
	return nil
}
