package sync

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/store"
)

// tailSite is a site that synced its history twice: the second sync sent
// one more run and the audit events that recorded it. It returns the
// store, the last event of the first sync and the run of the second.
func tailSite(t *testing.T, dsn string) (st *store.Store, site string, first int64, last string) {
	t.Helper()
	st, _ = newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{})
	first = localHead(t, st).Seq
	last = recordRun(t, st, "late", 1, "late")
	mustPush(t, st, dsn, Options{})
	return st, rep.Site, first, last
}

func localHead(t *testing.T, st *store.Store) store.Checkpoint {
	t.Helper()
	var h store.Checkpoint
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) { h, err = tx.Head(context.Background()); return err }); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAuditVerifyTail: a chain cut at its end in PostgreSQL — its last
// events deleted, with or without the runs they recorded, or rewritten
// consistently — still verifies link by link; the database that synced it
// finds the cut (docs/sync.md "A chain cut at its end").
func TestAuditVerifyTail(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, site, first, late := tailSite(t, dsn)
	head := localHead(t, st)
	conn := pgConnect(t, dsn)

	// Healthy: everything this database sent is there.
	rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
	if err != nil {
		t.Fatal(err)
	}
	tc := rep.Tail
	if !tc.Checked || tc.Cut() || tc.Site != site || tc.Seq != head.Seq || tc.Hash != head.EventHash || tc.Held != head.Seq || tc.Runs != 3 {
		t.Fatalf("healthy tail %+v", tc)
	}
	// Without the local database, nothing is claimed about the end.
	rep, err = VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if err != nil || rep.Tail.Checked || !strings.Contains(rep.Tail.Reason, "cannot be detected from PostgreSQL alone") {
		t.Fatalf("without local: %v %+v", err, rep.Tail)
	}

	cut := func(t *testing.T, sql string, args ...any) { t.Helper(); mustExec(t, conn, sql, args...) }
	snapshot := func(t *testing.T) {
		t.Helper()
		saveTables(t, conn, "audit_events", "runs", "findings", "sync_checkpoints")
	}
	// The sync checkpoints record each sync's head: an attacker who is the
	// schema owner deletes those at or after the cut too.
	dropCheckpoints := func(t *testing.T, from int64) {
		t.Helper()
		cut(t, `SET session_replication_role = replica`)
		cut(t, `DELETE FROM policy.sync_checkpoints WHERE source_site = $1 AND seq >= $2`, site, from)
		cut(t, `SET session_replication_role = DEFAULT`)
	}

	t.Run("events and runs", func(t *testing.T) {
		snapshot(t)
		cut(t, `DELETE FROM policy.audit_events WHERE tenant = 'acme' AND source_site = $1 AND seq > $2`, site, first)
		cut(t, `DELETE FROM policy.findings WHERE run_id = $1`, late)
		cut(t, `DELETE FROM policy.runs WHERE run_id = $1`, late)
		// The second sync's checkpoint still names the deleted head.
		if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "the sync checkpoint of") {
			t.Fatalf("cut with its checkpoint: %v", err)
		}
		dropCheckpoints(t, first+1)
		// PostgreSQL alone: a shorter chain that verifies.
		if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
			t.Fatalf("PostgreSQL alone: %v", err)
		}
		rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
		if !fail.Is(err, fail.Integrity) || rep.Tail == nil || !rep.Tail.Cut() || rep.Tail.Held != first || !slices.Equal(rep.Tail.MissingRuns, []string{late}) {
			t.Fatalf("cut: %v %+v", err, rep.Tail)
		}
		for _, want := range []string{"site " + site, "its audit chain ends at event", "1 of the 3 runs this database sent is missing: " + late} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})

	t.Run("events only", func(t *testing.T) {
		snapshot(t)
		cut(t, `DELETE FROM policy.audit_events WHERE tenant = 'acme' AND source_site = $1 AND seq = $2`, site, head.Seq)
		dropCheckpoints(t, head.Seq)
		rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
		if !fail.Is(err, fail.Integrity) || rep.Tail == nil || rep.Tail.Held != head.Seq-1 || len(rep.Tail.MissingRuns) != 0 ||
			!strings.Contains(err.Error(), "event "+strconv.FormatInt(head.Seq, 10)+" is deleted") {
			t.Fatalf("events cut: %v %+v", err, rep.Tail)
		}
	})

	t.Run("runs only", func(t *testing.T) {
		snapshot(t)
		cut(t, `DELETE FROM policy.findings WHERE run_id = $1`, late)
		cut(t, `DELETE FROM policy.runs WHERE run_id = $1`, late)
		// From PostgreSQL alone: its chain recorded the run.
		rep, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
		if !fail.Is(err, fail.Integrity) || rep.Differ != 1 || rep.Mismatches[0] != (Mismatch{Table: "policy.runs", Row: late, Column: "row",
			Expected: "the run (policy.run.completed event " + strconv.FormatInt(head.Seq, 10) + " of site " + site + ")", Got: "missing (deleted?)"}) {
			t.Fatalf("runs cut, PostgreSQL alone: %v %+v", err, rep.Mismatches)
		}
		rep, err = VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
		if !fail.Is(err, fail.Integrity) || rep.Tail == nil || rep.Tail.Held != head.Seq || !slices.Equal(rep.Tail.MissingRuns, []string{late}) {
			t.Fatalf("runs cut: %v %+v", err, rep.Tail)
		}
	})

	// The last event rewritten with its hash recomputed: the chain in
	// PostgreSQL verifies, but it is not the event this database sent.
	t.Run("rewritten end", func(t *testing.T) {
		snapshot(t)
		var e store.Event
		var payload string
		if err := conn.QueryRow(ctx, `SELECT seq, type, at, actor, subject, payload, previous_hash FROM policy.audit_events
			WHERE tenant = 'acme' AND source_site = $1 AND seq = $2`, site, head.Seq).
			Scan(&e.Seq, &e.Type, &e.At, &e.Actor, &e.Subject, &payload, &e.PreviousHash); err != nil {
			t.Fatal(err)
		}
		e.Payload, e.Actor = json.RawMessage(payload), "mallory"
		h, err := store.EventHash("acme", e)
		if err != nil {
			t.Fatal(err)
		}
		cut(t, `UPDATE policy.audit_events SET actor = 'mallory', event_hash = $3 WHERE tenant = 'acme' AND source_site = $1 AND seq = $2`, site, head.Seq, h)
		if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "(rewritten from there)") {
			t.Fatalf("rewritten with its checkpoint: %v", err)
		}
		dropCheckpoints(t, head.Seq)
		if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
			t.Fatalf("PostgreSQL alone: %v", err)
		}
		_, err = VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
		if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "this database sent audit event "+strconv.FormatInt(head.Seq, 10)+" as "+head.EventHash+"; PostgreSQL holds "+h) {
			t.Fatalf("rewritten end: %v", err)
		}
	})

	// An event edited in place breaks the chain there, before any tail check.
	t.Run("edited event", func(t *testing.T) {
		snapshot(t)
		cut(t, `UPDATE policy.audit_events SET actor = 'mallory' WHERE tenant = 'acme' AND source_site = $1 AND seq = 2`, site)
		_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
		if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "audit chain broken at event 2") {
			t.Fatalf("edited: %v", err)
		}
	})

	// Restored, the database verifies again.
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st}); err != nil {
		t.Fatalf("after the subtests: %v", err)
	}
}

// TestAuditVerifyTailNeverSynced: a local database that never synced to
// the target says so; it claims nothing about the end of the chains.
func TestAuditVerifyTailNeverSynced(t *testing.T) {
	dsn := pgtest.DB(t)
	a, _ := newSite(t, "acme")
	populate(t, a, "payments")
	mustPush(t, a, dsn, Options{})
	b, _ := newSite(t, "acme")
	rep, err := VerifyAudit(context.Background(), dsn, "acme", Retry{}, AuditOptions{Local: b})
	if err != nil || rep.Tail.Checked || !strings.Contains(rep.Tail.Reason, "never synced tenant acme to this PostgreSQL database") {
		t.Fatalf("%v %+v", err, rep.Tail)
	}
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// saveTables copies tables of schema policy and puts them back when the
// test ends (triggers off, as the schema owner can).
func saveTables(t *testing.T, conn *pgx.Conn, tables ...string) {
	t.Helper()
	for _, tb := range tables {
		mustExec(t, conn, `CREATE TABLE policy.saved_`+tb+` AS SELECT * FROM policy.`+tb)
		t.Cleanup(func() {
			mustExec(t, conn, `SET session_replication_role = replica; DELETE FROM policy.`+tb+`;
				INSERT INTO policy.`+tb+` SELECT * FROM policy.saved_`+tb+`; DROP TABLE policy.saved_`+tb+`;
				SET session_replication_role = DEFAULT`)
		})
	}
}

// TestSyncAfterCut: the next sync of a site whose chain was cut in
// PostgreSQL says so and sends the deleted events, runs and findings
// again; the chain is whole again.
func TestSyncAfterCut(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, site, first, late := tailSite(t, dsn)
	head := localHead(t, st)
	conn := pgConnect(t, dsn)
	mustExec(t, conn, `DELETE FROM policy.audit_events WHERE tenant = 'acme' AND source_site = $1 AND seq > $2`, site, first)
	mustExec(t, conn, `DELETE FROM policy.findings WHERE run_id = $1`, late)
	mustExec(t, conn, `DELETE FROM policy.runs WHERE run_id = $1`, late)
	rep := mustPush(t, st, dsn, Options{})
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "ends at event "+strconv.FormatInt(first, 10)+", but this site sent events up to "+
		strconv.FormatInt(head.Seq, 10)+" there: they were deleted") {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	if r := tableReport(t, rep, "audit_events"); r.Inserted != head.Seq-first || r.Unchanged != first {
		t.Fatalf("audit_events %+v", r)
	}
	if r := tableReport(t, rep, "runs"); r.Inserted != 1 || r.Unchanged != 2 {
		t.Fatalf("runs %+v", r)
	}
	if r := tableReport(t, rep, "findings"); r.Inserted != 1 {
		t.Fatalf("findings %+v", r)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st}); err != nil {
		t.Fatal(err)
	}
	// And the sync after that is quiet again.
	if rep := mustPush(t, st, dsn, Options{}); len(rep.Warnings) != 0 || rep.Sent() != 0 {
		t.Fatalf("then: %q, %d sent", rep.Warnings, rep.Sent())
	}
}
