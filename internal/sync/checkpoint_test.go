package sync

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
)

// TestSyncCheckpoints: every sync records the head it left and its time,
// signed by the site key; an auditor with only the DSN and the site's
// public key finds a chain cut at its end unless the checkpoints after the
// cut were removed too (which the table refuses but to its owner), and
// then with --max-sync-age (docs/sync.md "A chain cut at its end").
func TestSyncCheckpoints(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	key, other := siteKey(t), siteKey(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r1 := mustPush(t, st, dsn, Options{Key: key, Now: t1})
	first := localHead(t, st)
	if c := r1.Checkpoint; c == nil || c.Seq != first.Seq || c.EventHash != first.EventHash || c.SyncedAt != "2026-12-01T10:00:00Z" || c.KeyID != key.ID {
		t.Fatalf("first checkpoint %+v, head %+v", r1.Checkpoint, first)
	}
	late := recordRun(t, st, "late", 1, "late")
	t2 := t1.Add(24 * time.Hour)
	mustPush(t, st, dsn, Options{Key: key, Now: t2})
	head := localHead(t, st)
	// A sync with nothing new still records when it ran; one without a
	// key records an unsigned checkpoint.
	if r := mustPush(t, st, dsn, Options{Now: t2.Add(time.Hour)}); r.Sent() != 0 || r.Checkpoint.KeyID != "" || r.Checkpoint.Seq != head.Seq {
		t.Fatalf("idle sync: %+v", r.Checkpoint)
	}
	conn := pgConnect(t, dsn)
	site := r1.Site
	now := t2.Add(2 * time.Hour)
	verify := func(o CheckpointOptions) (*AuditReport, error) {
		o.Now = now
		return VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: o})
	}

	// No key: every checkpoint's head is in the chain; what was not
	// checked is said.
	rep, err := verify(CheckpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cc := rep.Checkpoints; len(cc.Sites) != 1 || cc.Sites[0].Checkpoints != 3 || cc.Sites[0].Latest != nil || !strings.Contains(cc.Reason, "no --key") {
		t.Fatalf("no key: %+v", cc)
	}
	// The site's key: its two signed checkpoints verify, the latest is the second.
	rep, err = verify(CheckpointOptions{Keys: []*attest.Key{key}, MaxAge: 6 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Checkpoints.Sites[0]; s.Signed != 2 || s.Latest.SyncedAt != "2026-12-02T10:00:00Z" || s.Latest.Seq != head.Seq || rep.Checkpoints.Reason != "" {
		t.Fatalf("signed: %+v %+v", s, rep.Checkpoints)
	}
	// A key that signed nothing there: nothing can be checked, exit 6.
	if _, err := verify(CheckpointOptions{Keys: []*attest.Key{other}}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "no sync checkpoint there is signed by key "+other.ID) {
		t.Fatalf("other key: %v", err)
	}

	// The checkpoint table is append-only, even for its owner.
	var pgErr *pgconn.PgError
	if _, err := conn.Exec(ctx, `DELETE FROM policy.sync_checkpoints`); !errors.As(err, &pgErr) || pgErr.Code != "SY003" {
		t.Fatalf("delete: %v", err)
	}

	// The second sync cut: events and run deleted; its checkpoints stay.
	saveTables(t, conn, "audit_events", "runs", "findings", "sync_checkpoints")
	mustExec(t, conn, `DELETE FROM policy.audit_events WHERE tenant = 'acme' AND source_site = $1 AND seq > $2`, site, first.Seq)
	mustExec(t, conn, `DELETE FROM policy.findings WHERE run_id = $1`, late)
	mustExec(t, conn, `DELETE FROM policy.runs WHERE run_id = $1`, late)
	_, err = verify(CheckpointOptions{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "the sync checkpoint of 2026-12-02T10:00:00Z (signed by "+key.ID+") records audit event") ||
		!strings.Contains(err.Error(), "but the chain there ends at event "+strconv.FormatInt(first.Seq, 10)) {
		t.Fatalf("cut, checkpoints kept: %v", err)
	}
	// The schema owner also removes the checkpoints after the cut.
	mustExec(t, conn, `ALTER TABLE policy.sync_checkpoints DISABLE TRIGGER append_only`)
	mustExec(t, conn, `DELETE FROM policy.sync_checkpoints WHERE synced_at > $1`, t1)
	mustExec(t, conn, `ALTER TABLE policy.sync_checkpoints ENABLE TRIGGER append_only`)
	// Without --max-sync-age that passes, and the output says so …
	rep, err = verify(CheckpointOptions{Keys: []*attest.Key{key}})
	if err != nil || rep.Checkpoints.Sites[0].Latest.SyncedAt != "2026-12-01T10:00:00Z" || !strings.Contains(rep.Checkpoints.Reason, "no --max-sync-age") {
		t.Fatalf("cut back to a sync: %v %+v", err, rep.Checkpoints)
	}
	// … with it, the latest signed sync is too old.
	if _, err := verify(CheckpointOptions{Keys: []*attest.Key{key}, MaxAge: 6 * time.Hour}); !fail.Is(err, fail.Integrity) ||
		!strings.Contains(err.Error(), "the latest sync checkpoint signed by "+key.ID+" is from 2026-12-01T10:00:00Z, older than --max-sync-age 6h0m0s") {
		t.Fatalf("max-age: %v", err)
	}
}

// TestSyncCheckpointForged: a checkpoint row whose columns are not what
// its envelope signs fails under the key; an unsigned one proves nothing
// but must still be held by the chain.
func TestSyncCheckpointForged(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	key := siteKey(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rep := mustPush(t, st, dsn, Options{Key: key, Now: t1})
	conn := pgConnect(t, dsn)
	// A row claiming a later sync, with the envelope of the real one.
	mustExec(t, conn, `INSERT INTO policy.sync_checkpoints (tenant, source_site, seq, event_hash, synced_at, key_id, envelope)
		SELECT tenant, source_site, seq, event_hash, synced_at + interval '1 day', key_id, envelope FROM policy.sync_checkpoints`)
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: CheckpointOptions{Keys: []*attest.Key{key}, Now: t1}})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "site "+rep.Site+": the sync checkpoint of 2026-12-02T10:00:00Z (signed by "+key.ID+"): the signed statement is about") {
		t.Fatalf("forged: %v", err)
	}
	// An unsigned checkpoint beyond the chain's end.
	mustExec(t, conn, `INSERT INTO policy.sync_checkpoints (tenant, source_site, seq, event_hash, synced_at) VALUES ('acme', $1, 999, 'sha256:x', now())`, rep.Site)
	_, err = VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "(unsigned) records audit event 999") {
		t.Fatalf("unsigned beyond the end: %v", err)
	}
}

// TestSyncCheckpointsOldSchema: a database synced before checkpoints
// existed (schema 8) still verifies, saying what it could not check; with
// --key that is a failure, as nothing can be checked.
func TestSyncCheckpointsOldSchema(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	conn := pgConnect(t, dsn)
	// Migration 9 only adds the table: without it the database is schema 8.
	mustExec(t, conn, `DROP TABLE policy.sync_checkpoints; DROP FUNCTION policy.refuse_checkpoint_change;
		DELETE FROM policy.schema_migrations WHERE version = 9`)
	rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
	if err != nil || !strings.Contains(rep.Checkpoints.Reason, "schema 8 predates sync checkpoints") || !rep.Tail.Checked || rep.Tail.Cut() {
		t.Fatalf("schema 8: %v %+v %+v", err, rep.Checkpoints, rep.Tail)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: CheckpointOptions{Keys: []*attest.Key{siteKey(t)}}}); !fail.Is(err, fail.Integrity) {
		t.Fatalf("schema 8 with --key: %v", err)
	}
	// The next sync upgrades it and records a checkpoint.
	if r := mustPush(t, st, dsn, Options{}); r.SchemaBefore != 8 || r.Checkpoint == nil {
		t.Fatalf("upgrade: %+v", r)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestSyncCheckpointsGrants: a sync role created before migration 9 (with
// the grants of docs/sync.md "Tenants and access" then) may still push
// after it, checkpoint included.
func TestSyncCheckpointsGrants(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	conn := pgConnect(t, dsn)
	if _, _, err := migrate(ctx, conn, checkpointsVersion-1); err != nil {
		t.Fatal(err)
	}
	_, roleDSN := siteRole(t, dsn, "ci", "acme")
	owner, _ := newSite(t, "acme")
	if r := mustPush(t, owner, dsn, Options{}); r.SchemaBefore != checkpointsVersion-1 || r.Schema != checkpointsVersion {
		t.Fatalf("schema %d → %d", r.SchemaBefore, r.Schema)
	}
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	if r := mustPush(t, st, roleDSN, Options{}); r.Checkpoint == nil || r.Checkpoint.Seq == 0 {
		t.Fatalf("checkpoint %+v", r.Checkpoint)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.sync_checkpoints WHERE written_by <> current_user`); n != 1 {
		t.Fatalf("%d checkpoints by the sync role", n)
	}
	// It may not remove one.
	rc := pgConnect(t, roleDSN)
	if _, err := rc.Exec(ctx, `DELETE FROM policy.sync_checkpoints`); err == nil {
		t.Fatal("the sync role deleted checkpoints")
	}
}
