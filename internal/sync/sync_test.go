package sync

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// synced are the tables a default sync sends (no blobs).
var synced = []string{"policies", "policy_versions", "policy_lifecycle", "snapshots", "snapshot_files", "runs", "explains",
	"findings", "governance_statements", "exceptions", "lessons", "audit_events"}

func TestFirstSync(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{Batch: 2})

	if rep.SchemaBefore != 0 || rep.Schema != SchemaVersion() || rep.Target == "" || len(rep.Site) != 32 {
		t.Fatalf("report %+v", rep)
	}
	conn := pgConnect(t, dsn)
	var names []string
	for _, tr := range rep.Tables {
		names = append(names, tr.Table)
		want := localCount(t, path, tr.Table, "acme")
		if got := pgCount(t, conn, `SELECT count(*) FROM policy.`+tr.Table+` WHERE tenant = 'acme' AND source_site = $1`, rep.Site); got != want {
			t.Errorf("%s: %d rows in PostgreSQL, %d local", tr.Table, got, want)
		}
		inserted := tr.Inserted
		if tr.Table == "governance_statements" {
			inserted += tr.Unchanged // those about P-1@1 went with its lifecycle state
		}
		if tr.Sent != inserted || tr.Sent != localCount(t, path, tr.Table, "acme") || tr.Updated != 0 {
			t.Errorf("%s: %+v", tr.Table, tr)
		}
	}
	if strings.Join(names, " ") != strings.Join(synced, " ") {
		t.Fatalf("tables %v", names)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'policy' AND tablename = 'blobs'`); n != 1 {
		t.Fatal("no policy.blobs table")
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.blobs`); n != 0 {
		t.Fatalf("%d blobs sent without --with-blobs", n)
	}
	if f := tableReport(t, rep, "findings"); f.Batches != 3 { // 5 findings in batches of 2
		t.Fatalf("findings in %d batches", f.Batches)
	}

	// Typed columns: env as an object, times, numbers and flags.
	var team string
	var started time.Time
	var score float64
	var enforced bool
	err := conn.QueryRow(context.Background(), `SELECT r.env->>'team', r.started_at, f.severity_score::float8, f.enforced
		FROM policy.runs r JOIN policy.findings f USING (tenant, run_id) WHERE r.env @> '{"team":"payments"}' LIMIT 1`).
		Scan(&team, &started, &score, &enforced)
	if err != nil || team != "payments" || !started.Equal(clock()) || score != 7.5 || !enforced {
		t.Fatalf("typed columns: %q %v %v %v (%v)", team, started, score, enforced, err)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.sites WHERE site_id = $1 AND label = 'test'`, rep.Site); n != 1 {
		t.Fatal("site not recorded")
	}

	// The cursors are stored on both sides and agree.
	var local []store.SyncCursor
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		local, err = tx.SyncCursors(context.Background(), rep.Target)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(local) != len(synced) {
		t.Fatalf("%d local cursors", len(local))
	}
	for _, c := range local {
		var seq, rows int64
		if err := conn.QueryRow(context.Background(), `SELECT seq, rows_sent FROM policy.sync_cursors
			WHERE source_site = $1 AND tenant = 'acme' AND table_name = $2`, rep.Site, c.Table).Scan(&seq, &rows); err != nil {
			t.Fatal(err)
		}
		if seq != c.Seq || rows != c.Rows || seq != tableReport(t, rep, c.Table).Cursor {
			t.Errorf("%s: local cursor %+v, remote %d/%d", c.Table, c, seq, rows)
		}
	}
}

func TestSecondSyncSendsNothing(t *testing.T) {
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	conn := pgConnect(t, dsn)
	stamp := func() string {
		var s string
		if err := conn.QueryRow(context.Background(), `SELECT string_agg(table_name || '=' || seq || '@' || updated_at, ',' ORDER BY table_name)
			FROM policy.sync_cursors`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := stamp()
	rep := mustPush(t, st, dsn, Options{})
	for _, tr := range rep.Tables {
		if tr.Sent != 0 || tr.Batches != 0 || tr.Pending != 0 {
			t.Errorf("second sync of %s: %+v", tr.Table, tr)
		}
	}
	if after := stamp(); after != before {
		t.Fatalf("second sync wrote cursors:\n%s\n%s", before, after)
	}

	// Something new is sent alone.
	id := recordRun(t, st, "payments-weekly", 1, "new")
	rep = mustPush(t, st, dsn, Options{})
	if r := tableReport(t, rep, "runs"); r.Sent != 1 || r.Inserted != 1 {
		t.Fatalf("runs after a new run: %+v", r)
	}
	if f := tableReport(t, rep, "findings"); f.Sent != 1 {
		t.Fatalf("findings after a new run: %+v", f)
	}
	if p := tableReport(t, rep, "policies"); p.Sent != 0 {
		t.Fatalf("policies resent: %+v", p)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = $1`, id); n != 1 {
		t.Fatal("new run missing")
	}
}

// TestInterruptedSync fails a batch just before it commits, then resumes.
func TestInterruptedSync(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	recordRun(t, st, "a", 7, "")
	crash := errors.New("crash")
	_, err := push(t, st, dsn, Options{Batch: 3, beforeCommit: func(table string, batch int) error {
		if table == "findings" && batch == 1 {
			return crash
		}
		return nil
	}})
	if !errors.Is(err, crash) && !strings.Contains(fmt.Sprint(err), "crash") {
		t.Fatalf("interrupted sync: %v", err)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.findings`); n != 3 {
		t.Fatalf("%d findings committed before the interrupted batch, want 3", n)
	}
	rep := mustPush(t, st, dsn, Options{Batch: 3})
	if f := tableReport(t, rep, "findings"); f.Sent != 4 || f.Inserted != 4 {
		t.Fatalf("resumed findings: %+v", f)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.findings`); n != localCount(t, path, "findings", "acme") {
		t.Fatalf("%d findings after resuming", n)
	}
	if r := tableReport(t, rep, "runs"); r.Sent != 0 {
		t.Fatalf("runs sent again after resuming: %+v", r)
	}
}

// killChildEnv makes the test binary a sync that blocks inside its second
// findings batch (see TestKilledSync).
const killChildEnv = "STELLA_SYNC_KILL_CHILD"

func killChild() int {
	args := strings.Split(os.Getenv(killChildEnv), "\n")
	path, dsn, marker := args[0], args[1], args[2]
	st, err := store.Open(context.Background(), path, "acme", store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = Push(context.Background(), st, Options{DSN: dsn, Batch: 3, Label: "child", beforeCommit: func(table string, batch int) error {
		if table == "findings" && batch == 1 {
			os.WriteFile(marker, nil, 0o644)
			select {} // killed here, with the batch's transaction open
		}
		return nil
	}})
	fmt.Fprintln(os.Stderr, "sync ended:", err)
	return 1
}

// TestKilledSync kills a sync process in the middle of a batch (SIGKILL:
// no cleanup of any kind) and resumes it.
func TestKilledSync(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	recordRun(t, st, "a", 8, "")
	marker := filepath.Join(t.TempDir(), "in-batch")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path+"\n"+dsn+"\n"+marker)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child never reached its second findings batch: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.findings`); n != 3 {
		t.Fatalf("%d findings after the kill, want the 3 of the committed batch", n)
	}
	rep := mustPush(t, st, dsn, Options{Batch: 3})
	if f := tableReport(t, rep, "findings"); f.Sent != 5 {
		t.Fatalf("resumed findings: %+v", f)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.findings`); n != localCount(t, path, "findings", "acme") {
		t.Fatalf("%d findings after resuming", n)
	}
}

func TestTwoSites(t *testing.T) {
	dsn := pgtest.DB(t)
	a, _ := newSite(t, "acme")
	b, _ := newSite(t, "acme")
	populate(t, a, "payments")
	populate(t, b, "search")
	shared := recordRun(t, a, "shared", 2, "")
	if id := recordRun(t, b, "shared", 2, ""); id != shared {
		t.Fatalf("the same evaluation got two run ids: %s %s", shared, id)
	}
	ra := mustPush(t, a, dsn, Options{Label: "ci-a"})
	rb := mustPush(t, b, dsn, Options{Label: "ci-b"})
	if ra.Site == rb.Site || ra.Target != rb.Target {
		t.Fatalf("sites %s %s, targets %s %s", ra.Site, rb.Site, ra.Target, rb.Target)
	}
	// The run both sites recorded is kept once, from the first site; the
	// second site's copy counts as unchanged.
	if r := tableReport(t, rb, "runs"); r.Sent != 3 || r.Inserted != 2 || r.Unchanged != 1 {
		t.Fatalf("site b runs: %+v", r)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs`); n != 5 {
		t.Fatalf("%d runs, want 5", n)
	}
	var from string
	if err := conn.QueryRow(context.Background(), `SELECT source_site FROM policy.runs WHERE run_id = $1`, shared).Scan(&from); err != nil || from != ra.Site {
		t.Fatalf("shared run from %s (%v)", from, err)
	}
	// Site-numbered rows do not collide: both sites have a P-1 and an EX-1.
	if n := pgCount(t, conn, `SELECT count(DISTINCT source_site) FROM policy.policies WHERE policy_id = 'P-1'`); n != 2 {
		t.Fatalf("P-1 from %d sites", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.exceptions WHERE exception_id = 'EX-1'`); n != 2 {
		t.Fatalf("%d EX-1 rows", n)
	}
	audit, err := VerifyAudit(context.Background(), dsn, "acme", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Chains) != 2 || audit.Events() != pgCount(t, conn, `SELECT count(*) FROM policy.audit_events`) {
		t.Fatalf("audit %+v", audit)
	}
	for _, c := range audit.Chains {
		if c.Label != "ci-a" && c.Label != "ci-b" {
			t.Fatalf("chain %+v", c)
		}
	}
}

func TestConflictingRunID(t *testing.T) {
	dsn := pgtest.DB(t)
	a, _ := newSite(t, "acme")
	b, _ := newSite(t, "acme")
	id := recordRun(t, a, "x", 2, "")
	recordRun(t, a, "y", 1, "")
	if other := recordRun(t, b, "x", 2, "tampered"); other != id {
		t.Fatalf("run ids %s %s", id, other)
	}
	ra := mustPush(t, a, dsn, Options{})
	_, err := push(t, b, dsn, Options{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), ra.Site) {
		t.Fatalf("conflicting run: %v", err)
	}
	conn := pgConnect(t, dsn)
	var from string
	if err := conn.QueryRow(context.Background(), `SELECT source_site FROM policy.runs WHERE run_id = $1`, id).Scan(&from); err != nil || from != ra.Site {
		t.Fatalf("run now from %s (%v)", from, err)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.sync_cursors WHERE source_site <> $1 AND table_name = 'runs' AND seq > 0`, ra.Site); n != 0 {
		t.Fatal("the refused batch advanced site b's cursor")
	}
	// Refused every time, never overwritten.
	if _, err := push(t, b, dsn, Options{}); !fail.Is(err, fail.Integrity) {
		t.Fatalf("second attempt: %v", err)
	}
}

// TestRunSignedLater: a run synced unsigned and signed later by its site
// (store.RecordRun of the same record with an attestation) gets its
// attestation in PostgreSQL too.
func TestRunSignedLater(t *testing.T) {
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	id := recordRun(t, st, "a", 2, "")
	mustPush(t, st, dsn, Options{})
	m := runMeta("a")
	res := result(t, 2, "")
	env := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`)
	if _, existing, err := st.RecordRun(context.Background(), store.RecordRequest{Meta: m, Record: run.NewRecord(st.Tenant(), m, res), Result: res,
		Attestation: env}); err != nil || !existing {
		t.Fatalf("signing the recorded run: %v (existing %v)", err, existing)
	}
	rep := mustPush(t, st, dsn, Options{})
	if r := tableReport(t, rep, "runs"); r.Sent != 1 || r.Updated != 1 {
		t.Fatalf("runs: %+v", r)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = $1 AND attestation IS NOT NULL`, id); n != 1 {
		t.Fatal("the attestation did not reach PostgreSQL")
	}
	// Sending it again changes nothing.
	if r := tableReport(t, mustPush(t, st, dsn, Options{}), "runs"); r.Sent != 0 {
		t.Fatalf("runs sent again: %+v", r)
	}
}

// TestFailedRunReplaced: a run stored as failed is replaced when the site
// records it again as succeeded, as the local store does.
func TestFailedRunReplaced(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	m := runMeta("x")
	m.SnapshotID = ""
	failed := run.FailedRecord(st.Tenant(), m, errors.New("advisories unreadable"))
	if _, _, err := st.RecordRun(ctx, store.RecordRequest{Meta: m, Record: failed}); err != nil {
		t.Fatal(err)
	}
	mustPush(t, st, dsn, Options{})
	res := result(t, 2, "")
	rec := run.NewRecord(st.Tenant(), m, res)
	rec.RunID = failed.RunID
	if _, _, err := st.RecordRun(ctx, store.RecordRequest{Meta: m, Record: rec, Result: res}); err != nil {
		t.Fatal(err)
	}
	rep := mustPush(t, st, dsn, Options{})
	if r := tableReport(t, rep, "runs"); r.Updated != 1 {
		t.Fatalf("runs: %+v", r)
	}
	var status string
	if err := pgConnect(t, dsn).QueryRow(ctx, `SELECT status FROM policy.runs WHERE run_id = $1`, failed.RunID).Scan(&status); err != nil || status != "succeeded" {
		t.Fatalf("status %q (%v)", status, err)
	}
}

// TestOwnedRowsUpdate: a site's exception that changes is updated in place.
func TestOwnedRowsUpdate(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	err := st.Update(ctx, func(tx *store.Tx) error {
		ex, err := tx.Exception(ctx, "EX-1")
		if err != nil {
			return err
		}
		ex.Exception.Status = "approved"
		return tx.PutException(ctx, &ex)
	})
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL takes the approval only with its statement.
	_, err = push(t, st, dsn, Options{Tables: []string{"exceptions"}})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "exception EX-1 of site") {
		t.Fatalf("an approval without its statement: %v", err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		_, err := putStatement(ctx, t, tx, "exception.approved", "carol", "EX-1", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustPush(t, st, dsn, Options{})
	if e := tableReport(t, rep, "exceptions"); e.Sent != 1 || e.Updated != 1 {
		t.Fatalf("exceptions: %+v", e)
	}
	var status string
	if err := pgConnect(t, dsn).QueryRow(ctx, `SELECT status FROM policy.exceptions WHERE exception_id = 'EX-1'`).Scan(&status); err != nil || status != "approved" {
		t.Fatalf("status %q (%v)", status, err)
	}
}

// TestSchemaMigration: a database created by an older stella (schema 1)
// is upgraded in place and keeps its rows; a newer schema is refused.
func TestSchemaMigration(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	conn := pgConnect(t, dsn)
	if from, to, err := migrate(ctx, conn, 1); err != nil || from != 0 || to != 1 {
		t.Fatalf("migrate to 1: %d→%d %v", from, to, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO policy.runs (tenant, run_id, source_site, policy_id, ir_digest, mode, shadow, inputs_hash,
		evaluation_time, status, verdict, findings_count, findings_digest, explains_digest, env, record, error, started_at, completed_at, duration_ms)
		VALUES ('acme', 'run:old', 'old-site', 'P-9', 'sha256:i', 'run', false, 'sha256:h', now(), 'succeeded', 'passed', 0, '', '', '{}', '{}', '', now(), now(), 1)`); err != nil {
		t.Fatal(err)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'policy' AND tablename = 'exceptions'`); n != 0 {
		t.Fatal("schema 1 has the governance tables")
	}
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{})
	if rep.SchemaBefore != 1 || rep.Schema != SchemaVersion() {
		t.Fatalf("schema %d → %d", rep.SchemaBefore, rep.Schema)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = 'run:old'`); n != 1 {
		t.Fatal("the old run was lost")
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.exceptions`); n != 1 {
		t.Fatalf("%d exceptions after the upgrade", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.schema_migrations`); n != int64(SchemaVersion()) {
		t.Fatalf("%d migrations recorded", n)
	}

	if _, err := conn.Exec(ctx, `INSERT INTO policy.schema_migrations (version, name) VALUES (99, '0099_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err := push(t, st, dsn, Options{})
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "newer stella") {
		t.Fatalf("newer schema: %v", err)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("audit verify of a newer schema: %v", err)
	}
}

// TestTenantIsolation: two tenants of one site share the database; each
// sync touches its own tenant, and a reader role sees only the tenant it
// names.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	path := filepath.Join(t.TempDir(), "stella.db")
	acme := openStore(t, path, "acme")
	globex := openStore(t, path, "globex")
	populate(t, acme, "payments")
	recordRun(t, globex, "research", 4, "")
	ra := mustPush(t, acme, dsn, Options{})
	rg := mustPush(t, globex, dsn, Options{})
	if ra.Site != rg.Site {
		t.Fatal("one database, two site ids")
	}
	if r := tableReport(t, rg, "runs"); r.Sent != 1 {
		t.Fatalf("globex sent %d runs", r.Sent)
	}

	conn := pgConnect(t, dsn)
	role := "reader_" + strings.ToLower(strings.Trim(dbName(t, conn), "_"))
	readerDSN := pgRole(t, conn, dsn, role, fmt.Sprintf(`GRANT SELECT ON ALL TABLES IN SCHEMA policy TO %s`, role))
	reader, err := pgx.Connect(ctx, readerDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	counts := func() string {
		return fmt.Sprint(pgCount(t, reader, `SELECT count(*) FROM policy.runs`), " ",
			pgCount(t, reader, `SELECT count(*) FROM policy.findings`), " ",
			pgCount(t, reader, `SELECT count(DISTINCT tenant) FROM policy.audit_events`))
	}
	grant := func(tenant string) {
		if _, err := conn.Exec(ctx, `INSERT INTO policy.tenant_grants (role_name, tenant) VALUES ($1, $2)`, role, tenant); err != nil {
			t.Fatal(err)
		}
	}
	if got := counts(); got != "0 0 0" {
		t.Fatalf("a reader granted no tenant sees %s runs/findings/tenants", got)
	}
	grant("globex")
	if got := counts(); got != "1 4 1" {
		t.Fatalf("globex's reader sees %s runs/findings/tenants", got)
	}
	// Row-level security is the boundary: no session setting widens it, and
	// the reader cannot write.
	reader.Exec(ctx, `SET stella.tenant = 'acme'`)
	if got := counts(); got != "1 4 1" {
		t.Fatalf("after SET, globex's reader sees %s", got)
	}
	if _, err := reader.Exec(ctx, `DELETE FROM policy.runs`); err == nil {
		t.Fatal("a reader deleted runs")
	}
	grant("acme")
	if got := counts(); got != "3 9 2" {
		t.Fatalf("a reader of both tenants sees %s", got)
	}

	// Audit verification is per tenant too.
	ag, err := VerifyAudit(ctx, dsn, "globex", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	aa, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ag.Events() != localCount(t, path, "audit_events", "globex") || aa.Events() != localCount(t, path, "audit_events", "acme") {
		t.Fatalf("audit events: globex %d, acme %d", ag.Events(), aa.Events())
	}

	// A sync role that does not own the tables writes only its granted tenant.
	_, writer := siteRole(t, dsn, "writer", "initech")
	initech := openStore(t, path, "initech")
	recordRun(t, initech, "ops", 1, "")
	if rep, err := push(t, initech, writer, Options{}); err != nil || tableReport(t, rep, "runs").Inserted != 1 {
		t.Fatalf("initech's writer: %v", err)
	}
	recordRun(t, globex, "more", 1, "")
	_, err = push(t, globex, writer, Options{})
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "tenant_grants") {
		t.Fatalf("initech's writer syncing globex: %v", err)
	}
}

func dbName(t *testing.T, conn *pgx.Conn) string {
	var s string
	if err := conn.QueryRow(context.Background(), `SELECT current_database()`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuditVerify: the chains in PostgreSQL verify, an edited row there is
// found, and a local chain that was edited is never sent.
func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{Batch: 2})
	audit, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Chains) != 1 || audit.Chains[0].Site != rep.Site || audit.Events() != localCount(t, path, "audit_events", "acme") {
		t.Fatalf("audit %+v", audit)
	}
	conn := pgConnect(t, dsn)
	if _, err := conn.Exec(ctx, `UPDATE policy.audit_events SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "event 2") || !strings.Contains(err.Error(), rep.Site) {
		t.Fatalf("edited row: %v", err)
	}
	if _, err := VerifyAudit(ctx, dsn, "nobody", Retry{}, AuditOptions{}); err != nil {
		t.Fatalf("a tenant without events: %v", err)
	}

	// Edit the local log behind the store's back: the next sync refuses.
	other, opath := newSite(t, "acme")
	populate(t, other, "search")
	other.Close()
	db, err := sql.Open("sqlite", "file:"+opath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other = openStore(t, opath, "acme")
	_, err = push(t, other, dsn, Options{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "local audit log") || !strings.Contains(err.Error(), "event 3") {
		t.Fatalf("edited local log: %v", err)
	}
	var site string
	other.View(ctx, func(tx *store.Tx) (err error) { site, err = tx.SiteID(ctx); return err })
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.audit_events WHERE source_site = $1`, site); n != 0 {
		t.Fatalf("%d events of the edited chain were sent", n)
	}
}

func TestDryRun(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{DryRun: true})
	if !rep.DryRun || rep.SchemaBefore != 0 || rep.Target != "" || rep.Sent() != 0 {
		t.Fatalf("dry run %+v", rep)
	}
	if f := tableReport(t, rep, "findings"); f.Pending != localCount(t, path, "findings", "acme") {
		t.Fatalf("findings pending %+v", f)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM pg_namespace WHERE nspname = 'policy'`); n != 0 {
		t.Fatal("a dry run created the schema")
	}
	mustPush(t, st, dsn, Options{Tables: []string{"runs"}})
	recordRun(t, st, "new", 1, "x")
	rep = mustPush(t, st, dsn, Options{DryRun: true})
	if r := tableReport(t, rep, "runs"); r.Pending != 1 || r.Sent != 0 {
		t.Fatalf("runs %+v", r)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs`); n != 2 {
		t.Fatalf("%d runs after a dry run", n)
	}
	var cursors []store.SyncCursor
	st.View(ctx, func(tx *store.Tx) (err error) { cursors, err = tx.SyncCursors(ctx, rep.Target); return err })
	if len(cursors) != 1 || cursors[0].Table != "runs" {
		t.Fatalf("local cursors %+v", cursors)
	}
}

func TestTablesAndBlobs(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{Tables: []string{"runs", "findings"}})
	if len(rep.Tables) != 2 {
		t.Fatalf("tables %+v", rep.Tables)
	}
	rep = mustPush(t, st, dsn, Options{WithBlobs: true})
	if b := tableReport(t, rep, "blobs"); b.Sent != localCount(t, path, "blobs", "acme") || b.Sent == 0 {
		t.Fatalf("blobs %+v", b)
	}
	if r := tableReport(t, rep, "runs"); r.Sent != 0 {
		t.Fatalf("runs sent twice: %+v", r)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.blobs WHERE digest = 'sha256:' || encode(sha256(data), 'hex')`); n != localCount(t, path, "blobs", "acme") {
		t.Fatalf("%d blobs hash to their digest", n)
	}
	if _, err := push(t, st, dsn, Options{Tables: []string{"nope"}}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("unknown table: %v", err)
	}
	if _, err := push(t, st, dsn, Options{Batch: -1}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("negative batch: %v", err)
	}

	// A blob whose bytes no longer match its digest is never sent.
	other, opath := newSite(t, "acme")
	populate(t, other, "x")
	other.Close()
	db, err := sql.Open("sqlite", "file:"+opath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE blobs SET data = x'00' WHERE media_type = 'text/x-stella'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other = openStore(t, opath, "acme")
	if _, err := push(t, other, dsn, Options{WithBlobs: true}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "hashes to") {
		t.Fatalf("corrupted blob: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	st, _ := newSite(t, "acme")
	start := time.Now()
	_, err = push(t, st, "postgres://u:secret@"+addr+"/db?connect_timeout=2", Options{Retry: Retry{Attempts: 2}})
	if !fail.Is(err, fail.Transient) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("unreachable: %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the password is in the message: %v", err)
	}
	if time.Since(start) > time.Minute {
		t.Fatal("retries took over a minute")
	}
	if _, err := push(t, st, "postgres://%zz", Options{}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("bad dsn: %v", err)
	}
	if _, err := push(t, st, "", Options{}); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "STELLA_PG_DSN") {
		t.Fatalf("no dsn: %v", err)
	}
}

func TestProgress(t *testing.T) {
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	recordRun(t, st, "a", 5, "")
	var seen []string
	mustPush(t, st, dsn, Options{Batch: 2, Tables: []string{"findings"}, Progress: func(p Progress) {
		seen = append(seen, fmt.Sprintf("%s %d/%d", p.Table, p.Sent, p.Pending))
	}})
	if got := strings.Join(seen, ", "); got != "findings 2/5, findings 4/5, findings 5/5" {
		t.Fatalf("progress %s", got)
	}
}

// BenchmarkPush measures a first sync of one run with 20,000 findings (and
// as many explain traces) into an empty database; rows/s counts every row
// sent.
func BenchmarkPush(b *testing.B) {
	ok, reason := pgtest.Available()
	if !ok {
		b.Skip(reason)
	}
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "stella.db"), "acme", store.Options{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m := runMeta("bench")
	res := result(b, 20000, "")
	if _, _, err := st.RecordRun(context.Background(), store.RecordRequest{Meta: m, Record: run.NewRecord("acme", m, res), Result: res}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dsn, drop, err := pgtest.NewDB(fmt.Sprintf("bench%d", i))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := Push(context.Background(), st, Options{DSN: dsn, Label: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Sent()
		b.StopTimer()
		drop()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// TestRetriesTransientFailure: a batch that fails with a transient error
// (here a serialization failure just before its commit) is retried on a new
// connection, and nothing is sent twice; one that keeps failing gives up
// with exit 10 after the retries.
func TestRetriesTransientFailure(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	recordRun(t, st, "a", 5, "")
	failures := 0
	flaky := func(table string, batch int) error {
		if table == "findings" && batch == 1 && failures < 2 {
			failures++
			return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
		}
		return nil
	}
	rep := mustPush(t, st, dsn, Options{Batch: 2, beforeCommit: flaky})
	if f := tableReport(t, rep, "findings"); failures != 2 || f.Sent != 5 || f.Inserted != 5 || f.Batches != 3 {
		t.Fatalf("after %d failures: %+v", failures, f)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.findings`); n != localCount(t, path, "findings", "acme") {
		t.Fatalf("%d findings", n)
	}

	recordRun(t, st, "b", 1, "")
	_, err := push(t, st, dsn, Options{Retry: Retry{Attempts: 2}, beforeCommit: func(string, int) error {
		return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	}})
	if !fail.Is(err, fail.Transient) || !strings.Contains(err.Error(), "deadlock detected") || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("persistent failure: %v", err)
	}
}

// TestRestoredBackup: a site whose database was restored from a backup older
// than its last sync starts the tables over (with a warning): rows the
// shared database has are kept and nothing is lost. Once the restored
// database records anything, its audit chain forks from the one already
// sent, and the next sync is refused before it writes anything
// (TestForkRefusedFirst).
func TestRestoredBackup(t *testing.T) {
	dsn := pgtest.DB(t)
	st := restoredSite(t, dsn, nil)
	rep := mustPush(t, st, dsn, Options{})
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "restored from a backup") {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	if r := tableReport(t, rep, "runs"); r.Sent != 1 || r.Inserted != 0 || r.Unchanged != 1 {
		t.Fatalf("runs after the restore: %+v", r)
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs`); n != 3 {
		t.Fatalf("%d runs; the restore must not lose the ones already sent", n)
	}
	if rep := mustPush(t, st, dsn, Options{}); len(rep.Warnings) != 0 || rep.Sent() != 0 {
		t.Fatalf("the sync after the rescan: %+v", rep)
	}
}

// restoredSite records run a, backs the database up, records runs b and
// c, syncs, and restores the backup: PostgreSQL has three runs, the site
// one. check, when set, runs on PostgreSQL after the sync.
func restoredSite(t *testing.T, dsn string, check func()) *store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stella.db")
	st := openStore(t, path, "acme")
	recordRun(t, st, "a", 1, "")
	st.Close()
	backup, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st = openStore(t, path, "acme")
	recordRun(t, st, "b", 1, "")
	recordRun(t, st, "c", 1, "")
	mustPush(t, st, dsn, Options{})
	st.Close()
	if check != nil {
		check()
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	if err := os.WriteFile(path, backup, 0o644); err != nil {
		t.Fatal(err)
	}
	return openStore(t, path, "acme")
}

// pgRows is every row of the tables this test package syncs, as text, so
// that "nothing was written" is exact.
func pgRows(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	return pgDump(t, conn,
		`SELECT run_id, verdict FROM policy.runs ORDER BY 1`,
		`SELECT run_id, finding_id FROM policy.findings ORDER BY 1, 2`,
		`SELECT digest FROM policy.explains ORDER BY 1`,
		`SELECT source_site, seq, event_hash FROM policy.audit_events ORDER BY 1, 2`,
		`SELECT source_site, table_name, seq, last_row, rows_sent FROM policy.sync_cursors ORDER BY 1, 2`,
		`SELECT site_id, label, last_sync_at FROM policy.sites ORDER BY 1`)
}

// TestForkRefusedFirst: a local audit chain that is not the one this site
// already sent — restored from an older backup and written to since, or
// edited after the last sync — is refused before a single row of any table
// is written (runs come before audit events in a sync), also when only
// other tables are synced and in a dry run.
func TestForkRefusedFirst(t *testing.T) {
	dsn := pgtest.DB(t)
	conn := pgConnect(t, dsn)
	var before string
	st := restoredSite(t, dsn, func() { before = pgRows(t, conn) })
	forked := recordRun(t, st, "d", 1, "") // its events take seqs PostgreSQL has for b's run
	for _, o := range []Options{{}, {Tables: []string{"runs", "findings"}}, {DryRun: true}, {Batch: 1}} {
		_, err := push(t, st, dsn, o)
		if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "forked") || !strings.Contains(err.Error(), "nothing was sent") {
			t.Fatalf("%+v: %v", o, err)
		}
		if after := pgRows(t, conn); after != before {
			t.Fatalf("%+v: PostgreSQL changed by a refused sync:\n%s\nwas\n%s", o, after, before)
		}
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = $1`, forked); n != 0 {
		t.Fatalf("the forked run was sent")
	}
}

// TestEditedChainRefusedFirst: an audit event not yet sent that no longer
// links to the chain (edited in the local database) stops the sync before
// the runs it records are sent.
func TestEditedChainRefusedFirst(t *testing.T) {
	dsn := pgtest.DB(t)
	st, path := newSite(t, "acme")
	recordRun(t, st, "a", 1, "")
	mustPush(t, st, dsn, Options{})
	conn := pgConnect(t, dsn)
	before := pgRows(t, conn)
	recordRun(t, st, "b", 1, "")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'mallory' WHERE seq = (SELECT max(seq) FROM audit_events)`); err != nil {
		t.Fatal(err)
	}
	_, err = push(t, st, dsn, Options{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("edited local chain: %v", err)
	}
	if after := pgRows(t, conn); after != before {
		t.Fatalf("PostgreSQL changed by a refused sync:\n%s\nwas\n%s", after, before)
	}
}

// TestAuditVerifyRows: summary columns edited in PostgreSQL after a sync
// are found by audit verify --dsn, each named with its row, column,
// expected and found value, in the same order every time; a record edited
// to agree with them no longer agrees with the audit chain.
func TestAuditVerifyRows(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	clean, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if clean.Runs != 2 || clean.Findings != 5 || clean.Differ != 0 {
		t.Fatalf("clean: %d runs, %d findings, %d differ", clean.Runs, clean.Findings, clean.Differ)
	}
	conn := pgConnect(t, dsn)
	var first, second string
	var n1, n2 int
	if err := conn.QueryRow(ctx, `SELECT min(run_id COLLATE "C"), max(run_id COLLATE "C") FROM policy.runs`).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT (SELECT findings_count FROM policy.runs WHERE run_id = $1), (SELECT findings_count FROM policy.runs WHERE run_id = $2)`,
		first, second).Scan(&n1, &n2); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE policy.runs SET verdict = 'passed', findings_count = 0 WHERE run_id = '` + first + `'`,
		`UPDATE policy.findings SET verdict = 'passed', severity_score = 1.5 WHERE run_id = '` + first + `' AND finding_id = 'finding:000'`,
		// The record and its column edited together: the audit chain
		// recorded another verdict.
		`UPDATE policy.runs SET verdict = 'passed', record = replace(record, '"verdict":"blocked"', '"verdict":"passed"') WHERE run_id = '` + second + `'`,
		`DELETE FROM policy.findings WHERE run_id = '` + second + `' AND finding_id = 'finding:001'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var reports [2][]byte
	for i := range reports {
		rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
		if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "not what the signed records say") {
			t.Fatalf("edited rows: %v", err)
		}
		if reports[i], err = json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			continue
		}
		got := map[string]bool{}
		for _, m := range rep.Mismatches {
			got[m.Table+" "+m.Row+" "+m.Column+": "+m.Expected+" / "+m.Got] = true
		}
		for _, w := range []string{
			"policy.runs " + first + " verdict: blocked / passed",
			"policy.runs " + first + " findings_count: " + strconv.Itoa(n1) + " / 0",
			"policy.findings " + first + " finding:000 verdict: blocked / passed",
			"policy.findings " + first + " finding:000 severity_score: 7.5 / 1.5",
			"policy.runs " + second + " findings (rows): " + strconv.Itoa(n2) + " / " + strconv.Itoa(n2-1),
		} {
			if !got[w] {
				t.Errorf("no mismatch %q in %+v", w, rep.Mismatches)
			}
		}
		var recordMismatch bool
		for _, m := range rep.Mismatches {
			recordMismatch = recordMismatch || m.Row == second && m.Column == "record.verdict" &&
				m.Expected == "blocked (policy.run.completed event)" && m.Got == "passed"
		}
		if !recordMismatch {
			t.Errorf("the edited record was not checked against the audit chain: %+v", rep.Mismatches)
		}
		if rep.Differ != len(rep.Mismatches) {
			t.Errorf("differ %d, %d listed", rep.Differ, len(rep.Mismatches))
		}
	}
	if !bytes.Equal(reports[0], reports[1]) {
		t.Fatalf("two verifications differ:\n%s\n%s", reports[0], reports[1])
	}
}

// TestUncheckedColumn: migration 0008 fills policy.runs.unchecked from
// each record's stats.unchecked (NULL for records without it); a sync sends
// it; audit verify --dsn checks it.
func TestUncheckedColumn(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	conn := pgConnect(t, dsn)
	if _, _, err := migrate(ctx, conn, uncheckedVersion-1); err != nil {
		t.Fatal(err)
	}
	for id, rec := range map[string]string{"run:new": `{"stats":{"findings":0,"unchecked":4}}`, "run:old": `{"stats":{"findings":0}}`} {
		if _, err := conn.Exec(ctx, `INSERT INTO policy.runs (tenant, run_id, source_site, policy_id, ir_digest, mode, shadow, inputs_hash,
			evaluation_time, status, verdict, findings_count, findings_digest, explains_digest, env, record, error, started_at, completed_at, duration_ms)
			VALUES ('other', $1, 'old-site', 'P-9', 'sha256:i', 'run', false, 'sha256:h', now(), 'succeeded', 'passed', 0, '', '', '{}', $2, '', now(), now(), 1)`,
			id, rec); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = 'run:new' AND unchecked = 4`); n != 1 {
		t.Fatal("a record's stats.unchecked was not filled in")
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE run_id = 'run:old' AND unchecked IS NULL`); n != 1 {
		t.Fatal("a record without stats.unchecked has a value")
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.runs WHERE tenant = 'acme' AND unchecked = 0`); n != 2 {
		t.Fatalf("%d synced runs carry their records' unchecked 0", n)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE policy.runs SET unchecked = 9 WHERE tenant = 'acme'`); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if !fail.Is(err, fail.Integrity) || rep.Differ != 2 || rep.Mismatches[0].Column != "unchecked" ||
		rep.Mismatches[0].Expected != "0" || rep.Mismatches[0].Got != "9" {
		t.Fatalf("edited unchecked: %v %+v", err, rep)
	}
}
