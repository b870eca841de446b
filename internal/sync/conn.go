package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stella-policy/stella/internal/fail"
)

// Retry bounds how a sync and a verification retry transient failures:
// unreachable servers, dropped connections, a server starting up or out of
// connections, serialization failures and deadlocks.
type Retry struct {
	Attempts int           // retries after the first failure: 0 means 4, negative means none
	Backoff  time.Duration // the first wait, doubled for each retry (at most 30s); default 500ms
}

func (r Retry) withDefaults() Retry {
	if r.Attempts == 0 {
		r.Attempts = 4
	}
	if r.Attempts < 0 {
		r.Attempts = 0
	}
	if r.Backoff == 0 {
		r.Backoff = 500 * time.Millisecond
	}
	return r
}

// withConn connects and runs fn on its own connection, retrying a transient
// failure (of the connection or of fn) on a new one as r allows.
func (s *server) withConn(ctx context.Context, r Retry, fn func(*pgx.Conn) error) error {
	r = r.withDefaults()
	for n := 0; ; n++ {
		conn, err := pgx.ConnectConfig(ctx, s.cfg)
		if err == nil {
			err = fn(conn)
			conn.Close(ctx)
		}
		if err == nil {
			return nil
		}
		if !transient(err) || n >= r.Attempts || ctx.Err() != nil {
			return s.fail(err, n+1)
		}
		if werr := r.wait(ctx, n); werr != nil {
			return s.fail(werr, n+1)
		}
	}
}

// wait sleeps before retry number n (0-based), or returns the context's
// error.
func (r Retry) wait(ctx context.Context, n int) error {
	d := r.Backoff << n
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// server is a parsed DSN: how to connect, and what to call the server in
// messages (host and port, never the password).
type server struct {
	cfg  *pgx.ConnConfig
	name string
}

// DefaultConnectTimeout bounds each connection attempt when the connection
// string sets no connect_timeout: a server that accepts the TCP connection
// but never answers (hung, or a proxy in front of a dead one) would
// otherwise stall a sync forever instead of being retried and reported.
const DefaultConnectTimeout = 10 * time.Second

// EnvDSN names the environment variable holding the connection string
// `sync postgres` and `sync register` use when --dsn is not given.
const EnvDSN = "STELLA_PG_DSN"

// dsnOr returns dsn or, when it is "", what getenv (nil: none) reads from
// EnvDSN.
func dsnOr(dsn string, getenv func(string) string) string {
	if dsn == "" && getenv != nil {
		return getenv(EnvDSN)
	}
	return dsn
}

// parseDSN reads a connection string (URL or key=value) without echoing it:
// it may hold a password.
func parseDSN(dsn string) (*server, error) {
	if dsn == "" {
		return nil, fail.New(fail.Invalid, "no PostgreSQL connection string: give --dsn or set "+EnvDSN)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		msg := "not a valid PostgreSQL connection string"
		if inner := errors.Unwrap(err); inner != nil {
			msg += ": " + inner.Error()
		}
		return nil, fail.New(fail.Invalid, "--dsn: %s", msg)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	name := cfg.Host
	if !strings.HasPrefix(name, "/") {
		name = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	if cfg.Database != "" {
		name += "/" + cfg.Database
	}
	return &server{cfg: cfg, name: name}, nil
}

// fail gives a PostgreSQL error its kind and a message naming the server.
func (s *server) fail(err error, attempts int) error {
	var fe *fail.Error
	if errors.As(err, &fe) {
		return err
	}
	msg := describe(err)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "28"): // invalid authorization
			return fail.New(fail.Invalid, "postgres %s: %s", s.name, msg)
		case pe.Code == "3D000": // invalid catalog name
			return fail.New(fail.NotFound, "postgres %s: %s", s.name, msg)
		case pe.Code == codeSiteRefused || pe.Code == codeStatementsMissing: // migrations/0005_site_keys.sql
			return fail.New(fail.Integrity, "postgres %s refused the rows: %s (docs/sync.md \"Site identity\")", s.name, msg)
		case pe.Code == "42501": // insufficient privilege, row-level security
			return fail.New(fail.Invalid, "postgres %s: %s; the role %s needs privileges on schema policy and, unless it owns the tables, "+
				"a row in policy.tenant_grants for the tenant (docs/sync.md)", s.name, msg, s.cfg.User)
		}
	}
	if transient(err) {
		after := ""
		if attempts > 1 {
			after = fmt.Sprintf(" (gave up after %d attempts)", attempts)
		}
		return fail.New(fail.Transient, "postgres %s: %s%s", s.name, msg, after)
	}
	return fail.New(fail.Internal, "postgres %s: %s", s.name, msg)
}

// describe is an error's message without pgx's connection prefix, which
// repeats the user and database.
func describe(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if inner := errors.Unwrap(ce); inner != nil {
			err = inner
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	// pgx reports each connection attempt (TLS, then plain) on its own line.
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// transient reports whether retrying err may succeed.
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "40001", // serialization failure
			pe.Code == "40P01", // deadlock detected
			pe.Code == "53300", // too many connections
			pe.Code == "57P01", // admin shutdown
			pe.Code == "57P02", // crash shutdown
			pe.Code == "57P03": // cannot connect now (starting up)
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed")
}
