// Package pgtest owns the PostgreSQL server that tests run against: a
// throwaway server created with initdb in a temporary directory and listening
// on a free loopback port, or the server that STELLA_TEST_PG_DSN names.
//
// One server is shared by all tests of a test binary; each test gets its own
// empty database (DB) that is dropped when the test ends. Without PostgreSQL
// the tests skip with a message saying what is missing; with CI=true they
// fail instead, because CI must run them (.ci/run installs the Debian
// postgresql package and puts /usr/lib/postgresql/*/bin on PATH).
//
// The server process is a direct child of the test binary that dies with it
// (on Linux), so an interrupted test run leaves no server behind. initdb and
// postgres refuse to run as root; when the tests run as root (as in CI), both
// run as the unprivileged "postgres" user (or "nobody") that owns the
// temporary directory.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names an existing server to use instead of starting one. Its role
// must be allowed to create databases; every test creates and drops one.
const EnvDSN = "STELLA_TEST_PG_DSN"

var shared struct {
	mu      sync.Mutex
	started bool
	srv     *server // nil when PostgreSQL is not available
	reason  string  // why srv is nil
	dbs     atomic.Int64
}

// Available starts the shared server if it is not running yet and reports
// whether tests can use PostgreSQL, with the reason when they cannot.
func Available() (ok bool, reason string) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		shared.srv, shared.reason = start()
	}
	return shared.srv != nil, shared.reason
}

// Require skips t (fails it with CI=true) when PostgreSQL is not available.
func Require(t testing.TB) {
	t.Helper()
	ok, reason := Available()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required in CI (CI=true): %s", reason)
	}
	t.Skipf("skipping: no PostgreSQL: %s", reason)
}

// DB creates a new, empty database on the shared server and returns its
// connection string; the database is dropped when t ends. Without
// PostgreSQL it skips t (fails it with CI=true).
func DB(t testing.TB) string {
	t.Helper()
	Require(t)
	dsn, drop, err := NewDB(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return dsn
}

// NewDB creates a new, empty database on the shared server, named after
// label, and returns its connection string and a function that drops it.
// Available must have reported true.
func NewDB(label string) (dsn string, drop func() error, err error) {
	srv := shared.srv
	if srv == nil {
		return "", nil, errors.New("pgtest: no PostgreSQL server")
	}
	name := fmt.Sprintf("t%d_%s", shared.dbs.Add(1), dbSafe.ReplaceAllString(strings.ToLower(label), "_"))
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return withDatabase(srv.dsn, name), drop, nil
}

var dbSafe = regexp.MustCompile(`[^a-z0-9_]+`)

// Stop stops the shared server if this process started it, and removes its
// directory. Later calls to Available start a new one.
func Stop() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil && shared.srv.stop != nil {
		shared.srv.stop()
	}
	shared.srv, shared.started, shared.reason = nil, false, ""
}

// Main runs the tests of a package and then stops the shared server:
// func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	defer Stop()
	return m.Run()
}

type server struct {
	dsn  string // superuser connection to the "postgres" database
	stop func() // nil for a server we did not start
}

// admin runs one statement on the server's maintenance database.
func (s *server) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// start connects to EnvDSN or starts a throwaway server. It returns nil and
// the reason when neither is possible.
func start() (*server, string) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv := &server{dsn: dsn}
		if err := srv.admin(ctx, "SELECT 1"); err != nil {
			return nil, fmt.Sprintf("%s is set but the server does not answer: %v", EnvDSN, err)
		}
		return srv, ""
	}
	bin, err := findBin()
	if err != nil {
		return nil, err.Error()
	}
	srv, err := startLocal(bin)
	if err != nil {
		return nil, err.Error()
	}
	return srv, ""
}

// findBin returns the directory holding initdb and postgres: the one initdb
// is found in on PATH, or the newest /usr/lib/postgresql/*/bin (Debian).
func findBin() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(r))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(debian, func(i, j int) bool { return majorOf(debian[i]) > majorOf(debian[j]) })
	dirs = append(dirs, debian...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb and postgres not found on PATH or in /usr/lib/postgresql/*/bin (install the postgresql package, or set %s)", EnvDSN)
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// superuser is the name of the server's superuser role.
const superuser = "stella"

// startLocal creates a cluster in a new temporary directory and starts it
// on a free loopback port.
func startLocal(bin string) (*server, error) {
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	base := tempBase(cred)
	sweep(base)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		cleanup()
		return nil, err
	}
	if err := cred.own(dir); err != nil {
		cleanup()
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", superuser, "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.Env = childEnv()
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(string(out), 10))
	}
	// A port taken between choosing and binding makes postgres exit; try again.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			cleanup()
			return nil, err
		}
		stop, err := runPostgres(bin, dir, data, port, cred)
		if err == nil {
			return &server{
				dsn:  fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", superuser, port),
				stop: func() { stop(); cleanup() },
			}, nil
		}
		lastErr = err
	}
	cleanup()
	return nil, lastErr
}

// runPostgres starts the server and waits until it accepts connections. The
// returned function shuts it down (fast shutdown, then kill).
func runPostgres(bin, dir, data string, port int, cred *credential) (stop func(), err error) {
	logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", port))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	if err := cred.own(logPath); err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		// A test server: durability is not wanted, speed is.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=60")
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cred.apply(cmd)
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		interrupt(cmd.Process)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	dsn := fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", superuser, port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited during startup on port %d: %s", port, lastLines(string(b), 10))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres did not accept connections within 60s (%v): %s", err, lastLines(string(b), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const (
	dirPrefix = "stella-pgtest-"
	ownerFile = "owner.pid" // the pid of the test process that made the directory
)

// sweep removes the directories of servers whose test process is gone (it
// was killed before it could clean up; the server itself died with it).
func sweep(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			// Being created right now, or left by a run killed during setup.
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(d)
			}
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && !alive(pid) {
			os.RemoveAll(d)
		}
	}
}

// tempBase is where the server's directory goes: the usual temporary
// directory, unless the unprivileged user could not reach it (a TMPDIR
// inside root's home), then /tmp.
func tempBase(cred *credential) string {
	base := os.TempDir()
	if cred == nil {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the environment of initdb and postgres: the test's, without
// the libpq variables that would redirect them, and with the C locale.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// withDatabase returns dsn with its database replaced by name. It accepts
// URLs (postgres://…) and keyword/value strings (host=… dbname=…).
func withDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
