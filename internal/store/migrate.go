package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// Migrations are the files migrations/NNNN_name.sql, applied in order. The
// database's PRAGMA user_version is the number of the last one applied. A new
// schema change is a new file with the next number; applied files are never
// edited.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their numbers must
// run 1, 2, 3… without gaps; anything else is a build mistake.
func migrations() []migration {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("store: migration file name must be NNNN_name.sql: " + base)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("store: migration %s: want number %d", m.name, i+1))
		}
	}
	return ms
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations()) }

// migrate applies the missing migrations, each in its own immediate
// transaction that re-reads user_version, so concurrent processes opening a
// new database apply every step exactly once.
func (s *Store) migrate(ctx context.Context) error {
	ms := migrations()
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
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.exec(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			cur = m.version
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
