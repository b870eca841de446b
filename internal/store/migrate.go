package store

import (
	"context"
	"embed"
	"fmt"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/migrations"
)

// Migrations are the files migrations/NNNN_name.sql, applied in order. The
// database's PRAGMA user_version is the number of the last one applied. A new
// schema change is a new file with the next number; applied files are never
// edited.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// steps returns the embedded migrations in order (migrations.Load).
func steps() []migrations.Migration { return migrations.Load(migrationFS, "store") }

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(steps()) }

// migrate applies the missing migrations, each in its own immediate
// transaction that re-reads user_version, so concurrent processes opening a
// new database apply every step exactly once.
func (s *Store) migrate(ctx context.Context) error {
	ms := steps()
	cur, err := s.userVersion(ctx)
	if err != nil {
		return err
	}
	if cur > len(ms) {
		return s.tooNew(cur, len(ms))
	}
	for cur < len(ms) {
		err := s.Update(ctx, func(tx *Tx) error {
			var v int
			if err := tx.queryRow(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			cur = v
			if v > len(ms) {
				return s.tooNew(v, len(ms))
			}
			if v == len(ms) {
				return nil
			}
			m := ms[v]
			if _, err := tx.exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.exec(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			cur = m.Version
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) userVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, s.wrap("read schema version", err)
	}
	return v, nil
}

func (s *Store) tooNew(have, know int) error {
	return fail.New(fail.Invalid, "database %s has schema version %d, written by a newer stella (this one knows up to %d); upgrade stella", s.path, have, know)
}
