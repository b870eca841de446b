package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

func TestSiteID(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, "")
	var id string
	if err := s.View(ctx, func(tx *Tx) (err error) { id, err = tx.SiteID(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("site id %q", id)
	}
	s.Close()
	// The id is a property of the database: every tenant and every reopen sees it.
	s2 := open(t, path, "other")
	var again string
	if err := s2.View(ctx, func(tx *Tx) (err error) { again, err = tx.SiteID(ctx); return err }); err != nil || again != id {
		t.Fatalf("reopened: %q, %v; want %q", again, err, id)
	}
	other := open(t, filepath.Join(t.TempDir(), "o.db"), "")
	var third string
	if err := other.View(ctx, func(tx *Tx) (err error) { third, err = tx.SiteID(ctx); return err }); err != nil || third == id {
		t.Fatalf("second database: %q, %v", third, err)
	}
}

func changes(t *testing.T, s *Store, table string, after int64, limit int) *ChangePage {
	t.Helper()
	var page *ChangePage
	err := s.View(context.Background(), func(tx *Tx) (err error) {
		page, err = tx.Changes(context.Background(), ChangeQuery{Table: table, After: after, Limit: limit})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func column(p *ChangePage, c Change, name string) any {
	for i, n := range p.Columns {
		if n == name {
			return c.Values[i]
		}
	}
	return nil
}

func TestChanges(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, "")
	m := meta("internet", false)
	res := result(t, 3, false)
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}); err != nil {
		t.Fatal(err)
	}

	f := changes(t, s, "findings", 0, 2)
	if len(f.Changes) != 2 || f.Columns[0] != "tenant" {
		t.Fatalf("page %+v", f)
	}
	if got := column(f, f.Changes[0], "finding_id"); got != "finding:000" {
		t.Fatalf("first finding %v", got)
	}
	rest := changes(t, s, "findings", f.Last, 10)
	if len(rest.Changes) != 1 || column(rest, rest.Changes[0], "finding_id") != "finding:002" {
		t.Fatalf("second page %+v", rest)
	}
	if end := changes(t, s, "findings", rest.Last, 10); len(end.Changes) != 0 || end.Last != rest.Last {
		t.Fatalf("past the end: %+v", end)
	}
	audit := changes(t, s, "audit_events", 0, 100)
	if len(audit.Changes) != 2 || column(audit, audit.Changes[1], "type") != "policy.run.completed" {
		t.Fatalf("audit %+v", audit)
	}

	// An update logs the row again; a deleted row is reported without values.
	if err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE runs SET error = 'x'`); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM runs`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	runs := changes(t, s, "runs", 0, 10)
	if len(runs.Changes) != 2 || runs.Changes[0].Values != nil || runs.Changes[1].Values != nil {
		t.Fatalf("runs %+v", runs)
	}

	// Another tenant's log is separate.
	o := open(t, path, "other")
	if p := changes(t, o, "findings", 0, 10); len(p.Changes) != 0 {
		t.Fatalf("tenant other sees %d findings", len(p.Changes))
	}
	var pending int64
	if err := s.View(ctx, func(tx *Tx) (err error) {
		pending, err = tx.PendingChanges(ctx, "findings", f.Changes[0].Seq)
		return err
	}); err != nil || pending != 2 {
		t.Fatalf("pending %d, %v", pending, err)
	}
	var more, none bool
	if err := s.View(ctx, func(tx *Tx) (err error) {
		if more, err = tx.HasChanges(ctx, "findings", rest.Last-1); err != nil {
			return err
		}
		none, err = tx.HasChanges(ctx, "findings", rest.Last)
		return err
	}); err != nil || !more || none {
		t.Fatalf("HasChanges before the last %v, after it %v (%v)", more, none, err)
	}
	if err := s.View(ctx, func(tx *Tx) error {
		_, err := tx.Changes(ctx, ChangeQuery{Table: "keys; DROP TABLE runs", Limit: 1})
		return err
	}); err == nil {
		t.Fatal("an unknown table was accepted")
	}
}

// TestChangesRowidReused: a pruned row's rowid taken by another tenant's
// new row is not that tenant's change (it stopped `sync postgres`).
func TestChangesRowidReused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	a, b := open(t, path, "a"), open(t, path, "b")
	record := func(s *Store, env string) {
		m := meta(env, false)
		res := result(t, 2, false)
		if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}); err != nil {
			t.Fatal(err)
		}
	}
	record(a, "a")
	if _, err := a.Prune(ctx, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}
	record(b, "b") // takes the rowids a's pruned rows had
	for _, table := range []string{"runs", "findings"} {
		p := changes(t, a, table, 0, 10)
		if len(p.Changes) == 0 {
			t.Fatalf("%s: tenant a's log is empty", table)
		}
		for _, c := range p.Changes {
			if c.Values != nil {
				t.Errorf("%s: entry %d of tenant a reads a row of tenant %v", table, c.Seq, c.Values[0])
			}
		}
	}
}

func TestChangesMaxBytes(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	if err := s.Update(ctx, func(tx *Tx) error {
		for _, b := range []string{strings.Repeat("a", 100), strings.Repeat("b", 100), "c"} {
			if _, err := tx.PutBlob(ctx, MediaOctets, []byte(b)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var p *ChangePage
	if err := s.View(ctx, func(tx *Tx) (err error) {
		p, err = tx.Changes(ctx, ChangeQuery{Table: "blobs", Limit: 10, MaxBytes: 250})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 2 {
		t.Fatalf("a 250-byte page holds %d rows of about 210 bytes (the one that reaches the limit is the last)", len(p.Changes))
	}
}

// TestSyncBackfill opens a database written before migration 0004: its
// existing rows enter the change log once, in rowid order.
func TestSyncBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range steps() {
		if m.Name >= "0004" {
			break
		}
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.Exec("PRAGMA user_version = " + m.Name[:4]); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"sha256:2", "sha256:1"} {
		if _, err := db.Exec(`INSERT INTO blobs (tenant, digest, media_type, size, data) VALUES ('default', ?, 'x', 0, x'')`, d); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, path, "")
	p := changes(t, s, "blobs", 0, 10)
	if len(p.Changes) != 2 || column(p, p.Changes[0], "digest") != "sha256:2" || column(p, p.Changes[1], "digest") != "sha256:1" {
		t.Fatalf("backfilled %+v", p)
	}
}

func TestSyncCursors(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	set := func(c SyncCursor) {
		if err := s.Update(ctx, func(tx *Tx) error { return tx.SetSyncCursor(ctx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	set(SyncCursor{Target: "t1", Table: "runs", Seq: 5, Rows: 5})
	set(SyncCursor{Target: "t1", Table: "findings", Seq: 9, Rows: 4})
	set(SyncCursor{Target: "t1", Table: "runs", Seq: 7, Rows: 6})
	set(SyncCursor{Target: "t2", Table: "runs", Seq: 1, Rows: 1})
	var cs []SyncCursor
	if err := s.View(ctx, func(tx *Tx) (err error) { cs, err = tx.SyncCursors(ctx, "t1"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Table != "findings" || cs[1].Seq != 7 || cs[1].Rows != 6 || cs[1].SyncedAt != "2026-03-01T12:00:00Z" {
		t.Fatalf("cursors %+v", cs)
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "acme")
	var events []Event
	if err := s.Update(ctx, func(tx *Tx) error {
		for i := range 3 {
			if _, err := tx.Append(ctx, "test.event", "cli", "s", map[string]int{"i": i}); err != nil {
				return err
			}
		}
		var err error
		events, err = tx.Events(ctx, EventFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := NewChain("acme")
	for _, e := range events {
		if err := c.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if seq, h := c.Head(); seq != 3 || h != events[2].EventHash {
		t.Fatalf("head %d %s", seq, h)
	}
	if err := ResumeChain("acme", 2, events[1].EventHash).Add(events[2]); err != nil {
		t.Fatalf("resume: %v", err)
	}

	edited := events[1]
	edited.Actor = "mallory"
	tests := []struct {
		name  string
		chain *Chain
		e     Event
		want  string
	}{
		{"edited", ResumeChain("acme", 1, events[0].EventHash), edited, "the row was edited"},
		{"gap", NewChain("acme"), events[1], "sequence gap"},
		{"relinked", ResumeChain("acme", 1, events[1].EventHash), events[1], "previous_hash"},
		{"other tenant", NewChain("other"), events[0], "the row was edited"},
	}
	for _, tt := range tests {
		err := tt.chain.Add(tt.e)
		var ce *ChainError
		if !fail.Is(err, fail.Integrity) || !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an integrity error saying %q", tt.name, err, tt.want)
		}
	}
}
