package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// These tests need no PostgreSQL.

func TestConvertValue(t *testing.T) {
	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		typ  string
		in   any
		want string // fmt %v of the result, or "error: …" (a substring)
	}{
		{tText, "x", "x"},
		{tText, "a\x00b\xffc", "a\uFFFDb\uFFFDc"},
		{tBlobText, []byte("{\"k\":\"\xff\"}"), "{\"k\":\"\uFFFD\"}"},
		{tText, nil, "<nil>"},
		{tText, int64(1), "error: want text"},
		{tBlobText, []byte(`{"a":1}`), `{"a":1}`},
		{tBytea, "ab", "[97 98]"},
		{tInt, int64(7), "7"},
		{tInt, "7", "error: want an integer"},
		{tBool, int64(1), "true"},
		{tBool, int64(0), "false"},
		{tBool, int64(2), "error: want 0 or 1"},
		{tTime, "2026-03-01T12:00:00Z", ts.String()},
		{tTime, "yesterday", `error: want an RFC 3339 time, have "yesterday"`},
		{tNumeric, "", "<nil>"},
		{tNumeric, "7.5x", "error: want a decimal"},
		{tEnvObject, []byte(`{"inputs":{"env":[{"key":"team","value":"pay\u0000ments"},{"key":"a","value":"b"}]}}`),
			`{"a":"b","team":"pay` + "\uFFFD" + `ments"}`},
		{tEnvObject, []byte(`{"inputs":{}}`), `{}`},
		{tEnvObject, []byte(`not json`), "error: run record is not JSON"},
		{tUnchecked, []byte(`{"stats":{"unchecked":3}}`), "3"},
		{tUnchecked, []byte(`{"stats":{}}`), "<nil>"},
		{tUnchecked, 7, "error: want a JSON run record"},
		{"nope", "x", "error: unknown column type"},
	}
	for _, tt := range tests {
		got, err := convertValue(tt.typ, tt.in)
		var s string
		switch {
		case err != nil:
			s = "error: " + err.Error()
		case tt.typ == tTime && got != nil:
			s = got.(time.Time).String()
		default:
			s = fmt.Sprint(got)
		}
		if !strings.HasPrefix(s, tt.want) {
			t.Errorf("convertValue(%s, %v) = %s, want %s", tt.typ, tt.in, s, tt.want)
		}
	}
	n, err := convertValue(tNumeric, "7.125")
	if f, _ := n.(pgtype.Numeric).Float64Value(); err != nil || f.Float64 != 7.125 {
		t.Fatalf("numeric 7.125: %v %v", n, err)
	}
}

// TestConvertNamesTheRow: a malformed local value is an integrity error
// naming the table, the row's key and the column.
func TestConvertNamesTheRow(t *testing.T) {
	tb := tableNamed("findings")
	cols := []string{"tenant", "run_id", "finding_id", "purl", "advisory_id", "vex_status", "verdict", "severity_band",
		"severity_score", "rule", "enforced", "explain_id", "data"}
	c, err := newConverter(tb, "site", cols)
	if err != nil {
		t.Fatal(err)
	}
	vals := []any{"acme", "run:1", "finding:9", "p", "a", "v", "blocked", "High", "7.5", "r", int64(5), "e", []byte("{}")}
	_, err = c.convert(vals)
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "local findings row run:1/finding:9: column enforced") {
		t.Fatalf("%v", err)
	}
	if _, err := newConverter(tb, "site", cols[:5]); err == nil {
		t.Fatal("a local table without the synced columns was accepted")
	}
}

func TestSelectTables(t *testing.T) {
	names := func(ts []*table) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		tables    []string
		withBlobs bool
		want      string
	}{
		{nil, false, "policies,policy_versions,policy_lifecycle,snapshots,snapshot_files,runs,explains,findings,governance_statements,exceptions,lessons,audit_events"},
		{nil, true, strings.Join(TableNames(), ",")},
		{[]string{"findings", "runs"}, false, "runs,findings"}, // always in sync order
		{[]string{"blobs"}, false, "blobs"},
		{[]string{"runs", "bogus"}, false, "error"},
	}
	for _, tt := range tests {
		got, err := selectTables(tt.tables, tt.withBlobs)
		s := names(got)
		if err != nil {
			s = "error"
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("%v: error of kind %d", tt.tables, fail.KindOf(err))
			}
		}
		if s != tt.want {
			t.Errorf("selectTables(%v, %v) = %s, want %s", tt.tables, tt.withBlobs, s, tt.want)
		}
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct{ dsn, name, err string }{
		{"postgres://u:secret@db.example:6543/hist?sslmode=disable", "db.example:6543/hist", ""},
		{"host=db user=u password=secret dbname=hist", "db:5432/hist", ""},
		{"postgres://u:secret@[::1]:5432/h", "[::1]:5432/h", ""},
		{"", "", "give --dsn or set STELLA_PG_DSN"},
		{"postgres://u:secret@h:notaport/db", "", "not a valid PostgreSQL connection string"},
	}
	for _, tt := range tests {
		srv, err := parseDSN(tt.dsn)
		switch {
		case tt.err != "":
			if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("parseDSN(%q): %v", tt.dsn, err)
			}
		case err != nil || srv.name != tt.name:
			t.Errorf("parseDSN(%q) = %v, %v; want %s", tt.dsn, srv, err, tt.name)
		}
	}
}

// TestConnectTimeout: each connection attempt is bounded, by default too,
// so a server that accepts connections and never answers ends in retries
// and exit 10 instead of a sync that hangs.
func TestConnectTimeout(t *testing.T) {
	for _, tt := range []struct {
		dsn  string
		want time.Duration
	}{
		{"postgres://u@db/h", DefaultConnectTimeout},
		{"host=db user=u dbname=h", DefaultConnectTimeout},
		{"postgres://u@db/h?connect_timeout=3", 3 * time.Second},
	} {
		srv, err := parseDSN(tt.dsn)
		if err != nil || srv.cfg.ConnectTimeout != tt.want {
			t.Errorf("parseDSN(%q): connect timeout %v (%v), want %v", tt.dsn, srv.cfg.ConnectTimeout, err, tt.want)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept, then say nothing
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	st, err := store.Open(context.Background(), t.TempDir()+"/s.db", "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	_, err = Push(context.Background(), st, Options{DSN: "postgres://u@" + l.Addr().String() + "/db?sslmode=disable&connect_timeout=1",
		Retry: Retry{Attempts: 1, Backoff: 10 * time.Millisecond}})
	if !fail.Is(err, fail.Transient) || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("silent server: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "57P03"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "28P01"}, false},
		{&pgconn.PgError{Code: "42501"}, false},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{io.ErrUnexpectedEOF, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{errors.New("syntax error"), false},
		{fail.New(fail.Integrity, "conflict"), false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v", tt.err, got)
		}
	}
	srv, _ := parseDSN("postgres://u@h:1/db")
	for _, tt := range []struct {
		err  error
		kind fail.Kind
	}{
		{&pgconn.PgError{Code: "28P01", Message: "password authentication failed"}, fail.Invalid},
		{&pgconn.PgError{Code: "3D000", Message: "database does not exist"}, fail.NotFound},
		{&pgconn.PgError{Code: "42501", Message: "permission denied"}, fail.Invalid},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, fail.Transient},
		{&pgconn.PgError{Code: "42P01", Message: "no such table"}, fail.Internal},
		{fail.New(fail.Integrity, "kept"), fail.Integrity},
	} {
		err := srv.fail(tt.err, 1)
		if fail.KindOf(err) != tt.kind || !strings.Contains(err.Error(), "h:1/db") && tt.kind != fail.Integrity {
			t.Errorf("fail(%v) = %v (kind %d), want kind %d naming the server", tt.err, err, fail.KindOf(err), tt.kind)
		}
	}
}

func TestMigrationsNumbered(t *testing.T) {
	ms := steps()
	if len(ms) != SchemaVersion() || SchemaVersion() < 2 {
		t.Fatalf("%d migrations", len(ms))
	}
	for i, m := range ms {
		if m.Version != i+1 || !strings.HasPrefix(m.Name, fmt.Sprintf("%04d_", i+1)) {
			t.Errorf("migration %d is %s", i+1, m.Name)
		}
	}
}

func TestUpsertSQL(t *testing.T) {
	runs := tableNamed("runs").upsertSQL()
	if !strings.Contains(runs, "ON CONFLICT (tenant, run_id) DO UPDATE SET") || !strings.Contains(runs, "WHERE t.status = 'failed' AND EXCLUDED.status = 'succeeded'") {
		t.Errorf("runs: %s", runs)
	}
	if f := tableNamed("findings").upsertSQL(); !strings.Contains(f, "ON CONFLICT (tenant, run_id, finding_id) DO NOTHING") {
		t.Errorf("findings: %s", f)
	}
	if e := tableNamed("exceptions").upsertSQL(); !strings.Contains(e, "IS DISTINCT FROM") || strings.Contains(e, "source_site = EXCLUDED") {
		t.Errorf("exceptions: %s", e)
	}
}

// TestTablesLogged: every table sync sends is one whose changes the store
// logs, and the other way round.
func TestTablesLogged(t *testing.T) {
	if got, want := strings.Join(TableNames(), " "), strings.Join(store.SyncTables, " "); got != want {
		t.Fatalf("sync sends %s\nthe store logs %s", got, want)
	}
}
