// Package store owns stella's embedded SQLite database: the schema and its
// migrations, run history (runs, flattened findings, content-addressed
// explain traces), frozen snapshots and their content-addressed blobs,
// registered policies and their immutable versions, public keys, and the
// append-only, hash-chained audit log.
//
// Every row carries a tenant and every query is scoped to the tenant the
// Store was opened for. Every command that writes does so in one
// transaction (Store.Update): a crash at any point leaves the database as it
// was before the command or with its complete result. The database runs in
// WAL mode with a busy timeout, foreign keys on and immediate write
// transactions, so several processes can share it. The schema is described
// in docs/store.md.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stella-policy/stella/internal/fail"
)

// DefaultTenant is the tenant of a Store opened with an empty tenant.
const DefaultTenant = "default"

// Store is an open database scoped to one tenant. It is safe for concurrent
// use by the goroutines of one process; several processes may open the same
// file at once.
type Store struct {
	db     *sql.DB
	path   string
	tenant string
	now    func() time.Time
}

// Options tune Open.
type Options struct {
	// MustExist refuses to create the database: commands that only read
	// report a missing database as not found instead of creating one.
	MustExist bool
	// Now is the wall clock used for row timestamps (imported_at, started_at,
	// audit event times). It never feeds evaluation. Default time.Now.
	Now func() time.Time
	// BusyTimeout bounds how long a write waits for another process's write
	// transaction. Default 30s.
	BusyTimeout time.Duration
}

// Open opens (creating when needed) the database at path for tenant and
// brings its schema up to date. A database whose schema is newer than this
// binary knows is refused.
func Open(ctx context.Context, path, tenant string, o Options) (*Store, error) {
	if tenant == "" {
		tenant = DefaultTenant
	}
	if err := validTenant(tenant); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 30 * time.Second
	}
	if o.MustExist {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fail.New(fail.NotFound, "database %s does not exist (nothing has been recorded yet; see --db)", path)
			}
			return nil, fail.New(fail.Internal, "database %s: %v", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fail.New(fail.Internal, "database %s: cannot create its directory: %v", path, unwrapPathErr(err))
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, o))
	if err != nil {
		return nil, fail.New(fail.Internal, "database %s: %v", path, err)
	}
	// One connection: a CLI process needs no more, and it makes the process a
	// single writer (docs/store.md "Guarantees").
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, tenant: tenant, now: o.Now}
	if err := ping(ctx, db, o.BusyTimeout); err != nil {
		db.Close()
		return nil, s.wrap("open", err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// ping opens the connection. Its pragmas may find the file busy without
// SQLite waiting (two processes turning a new database to WAL at once), so a
// busy open is retried until wait has passed, as a busy write waits.
func ping(ctx context.Context, db *sql.DB, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || (se.Code()&0xff != sqlite3.SQLITE_BUSY && se.Code()&0xff != sqlite3.SQLITE_LOCKED) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func dsn(path string, o Options) string {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", o.BusyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		// In WAL mode NORMAL never corrupts and never loses a committed
		// transaction to a process crash; only a power loss may roll back
		// the last commits (docs/store.md).
		"_pragma=synchronous(NORMAL)",
		"_txlock=immediate",
	}
	// In a file: URI, %, ? and # would be read as escapes or delimiters.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + strings.Join(q, "&")
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader refuses a file that exists but is not a SQLite database, with
// a message naming it, before the driver reports "file is not a database".
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fail.New(fail.Internal, "database %s: %v", path, unwrapPathErr(err))
	}
	defer f.Close()
	buf := make([]byte, len(sqliteMagic))
	n, _ := f.Read(buf)
	if n == 0 {
		return nil // empty file: SQLite initialises it
	}
	if n < len(buf) || string(buf) != sqliteMagic {
		return fail.New(fail.Integrity, "database %s is not a SQLite database (corrupted or another file); restore it from a backup or point --db elsewhere", path)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Tenant returns the tenant every query is scoped to.
func (s *Store) Tenant() string { return s.tenant }

// Now returns the store's wall clock reading, in UTC to the second.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Second) }

// Tx is one transaction, scoped to the store's tenant.
type Tx struct {
	tx     *sql.Tx
	s      *Store
	tenant string
	head   *Event // the last event this transaction appended
	signer HeadSigner
}

// Tenant returns the transaction's tenant.
func (t *Tx) Tenant() string { return t.tenant }

// Update runs fn in one write transaction (BEGIN IMMEDIATE). The transaction
// commits only if fn returns nil; any error rolls everything back.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	return s.inTx(ctx, false, fn)
}

// View runs fn in one read transaction, a consistent snapshot of the
// database that never blocks writers.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	return s.inTx(ctx, true, fn)
}

func (s *Store) inTx(ctx context.Context, readOnly bool, fn func(*Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return s.wrap("begin", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	t := &Tx{tx: tx, s: s, tenant: s.tenant}
	if err := fn(t); err != nil {
		tx.Rollback()
		return s.wrap("", err)
	}
	if t.head == nil {
		return s.wrap("commit", tx.Commit())
	}
	signed, err := t.signHead(ctx)
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("commit", err)
	}
	return s.writeAnchor(t.head, signed)
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, q, args...)
}

// wrap gives a driver error a kind and a message naming the database. Errors
// that already have a kind pass through unchanged.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fail.Error
	if errors.As(err, &fe) || errors.Is(err, errDryRun) {
		return err
	}
	where := "database " + s.path
	if op != "" {
		where += ": " + op
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fail.New(fail.Transient, "%s: the database is locked by another process; retry", where)
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return fail.New(fail.Integrity, "%s: the database file is corrupted (%v); run `stella store check` or restore a backup", where, se)
		case sqlite3.SQLITE_READONLY:
			return fail.New(fail.Internal, "%s: cannot write: the file or its directory is read-only", where)
		case sqlite3.SQLITE_FULL:
			return fail.New(fail.Internal, "%s: cannot write: the disk is full", where)
		case sqlite3.SQLITE_CANTOPEN:
			return fail.New(fail.Internal, "%s: cannot open the file (is its directory writable?)", where)
		case sqlite3.SQLITE_IOERR:
			return fail.New(fail.Internal, "%s: I/O error: %v", where, se)
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fail.New(fail.Transient, "%s: %v", where, err)
	}
	return fail.New(fail.Internal, "%s: %v", where, err)
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// validTenant accepts tenant ids of the form [a-z0-9_-]{1,64}
// (docs/sync.md "Tenants and access").
func validTenant(t string) error {
	if len(t) > 64 {
		return fail.New(fail.Invalid, "tenant %q: longer than 64 characters", t)
	}
	for _, c := range t {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fail.New(fail.Invalid, "tenant %q: only a-z, 0-9, _ and - are allowed", t)
		}
	}
	return nil
}

// timeText formats a wall-clock time for a row.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }
