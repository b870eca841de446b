package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// This file holds what `stella sync` reads and writes locally (migration
// 0004): the database's site id, the change log of the synced tables and
// the cursors of past syncs. internal/sync decides what to send and how.

// SyncTables are the tables whose inserts and updates are logged for sync.
var SyncTables = []string{
	"policies", "policy_versions", "policy_lifecycle", "snapshots", "snapshot_files", "blobs",
	"runs", "explains", "findings", "governance_statements", "governance_attachments", "exceptions",
	"lessons", "audit_events",
}

// SiteID returns the stable id of this database: 32 hex characters chosen
// once, when the database got its sync tables. A copy of the database file
// has the same id, so give every site its own database.
func (t *Tx) SiteID(ctx context.Context) (string, error) {
	var id string
	err := t.queryRow(ctx, `SELECT site_id FROM sync_site WHERE one = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fail.New(fail.Integrity, "database %s has no site id (the sync_site row was deleted)", t.s.path)
	}
	return id, err
}

// ChangeQuery selects a page of one table's change log.
type ChangeQuery struct {
	Table    string // one of SyncTables
	After    int64  // log entries with a greater seq
	Limit    int    // at most this many entries (> 0)
	MaxBytes int    // stop after the entry that brings the page to this many bytes of values; 0 = no limit
}

// ChangePage is a page of a table's change log with the rows as they are now.
type ChangePage struct {
	Columns []string // the table's columns, in table order
	Changes []Change
	Last    int64 // the seq of the last entry read; the query's After when none
}

// Change is one log entry and the current content of its row, in Columns
// order: string for TEXT, int64 for INTEGER, []byte for BLOB, nil for NULL.
// Values is nil when the row has been deleted since it was logged.
type Change struct {
	Seq    int64
	Values []any
}

// Changes reads the tenant's change log of one table after q.After, in log
// order. A row changed several times appears once per change, each time
// with its current content.
func (t *Tx) Changes(ctx context.Context, q ChangeQuery) (*ChangePage, error) {
	if !slices.Contains(SyncTables, q.Table) {
		return nil, fail.New(fail.Invalid, "table %q is not synced (want one of %v)", q.Table, SyncTables)
	}
	if q.Limit <= 0 {
		return nil, fail.New(fail.Invalid, "change query: limit must be positive")
	}
	// The table name is one of SyncTables, never user text. A logged row
	// that was deleted (store prune) may have left its rowid to a new row,
	// possibly another tenant's: only a row of this tenant is the entry's.
	rows, err := t.query(ctx, `SELECT l.seq, r.rowid IS NOT NULL, r.* FROM sync_log l
		LEFT JOIN `+q.Table+` r ON r.rowid = l.rid AND r.tenant = l.tenant
		WHERE l.tbl = ? AND l.tenant = ? AND l.seq > ? ORDER BY l.seq LIMIT ?`, q.Table, t.tenant, q.After, q.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	page := &ChangePage{Columns: cols[2:], Last: q.After}
	size := 0
	for rows.Next() {
		var exists bool
		vals := make([]any, len(cols))
		dest := make([]any, len(cols))
		dest[0], dest[1] = &page.Last, &exists
		for i := 2; i < len(cols); i++ {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("change log of %s: %w", q.Table, err)
		}
		c := Change{Seq: page.Last}
		if exists {
			c.Values = vals[2:]
			for _, v := range c.Values {
				switch v := v.(type) {
				case string:
					size += len(v)
				case []byte:
					size += len(v)
				default:
					size += 8
				}
			}
		}
		page.Changes = append(page.Changes, c)
		if q.MaxBytes > 0 && size >= q.MaxBytes {
			break
		}
	}
	return page, rows.Err()
}

// PendingChanges counts the tenant's change log entries of table after seq.
func (t *Tx) PendingChanges(ctx context.Context, table string, after int64) (int64, error) {
	var n int64
	err := t.queryRow(ctx, `SELECT count(*) FROM sync_log WHERE tbl = ? AND tenant = ? AND seq > ?`, table, t.tenant, after).Scan(&n)
	return n, err
}

// HasChanges reports whether the tenant's change log of table has entries
// after seq.
func (t *Tx) HasChanges(ctx context.Context, table string, after int64) (bool, error) {
	var ok bool
	err := t.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sync_log WHERE tbl = ? AND tenant = ? AND seq > ?)`, table, t.tenant, after).Scan(&ok)
	return ok, err
}

// SyncCursor is how far the syncs of one table to one shared database got.
type SyncCursor struct {
	Target   string `json:"target"` // the shared database's id
	Table    string `json:"table"`
	Seq      int64  `json:"seq"`  // the last change log entry it committed
	Rows     int64  `json:"rows"` // rows sent so far
	SyncedAt string `json:"syncedAt"`
}

// SyncCursors returns the tenant's cursors for target, by table.
func (t *Tx) SyncCursors(ctx context.Context, target string) ([]SyncCursor, error) {
	rows, err := t.query(ctx, `SELECT target, tbl, seq, rows, synced_at FROM sync_cursors
		WHERE target = ? AND tenant = ? ORDER BY tbl`, target, t.tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncCursor
	for rows.Next() {
		var c SyncCursor
		if err := rows.Scan(&c.Target, &c.Table, &c.Seq, &c.Rows, &c.SyncedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetSyncCursor records a cursor (SyncedAt is set to now).
func (t *Tx) SetSyncCursor(ctx context.Context, c SyncCursor) error {
	_, err := t.exec(ctx, `INSERT INTO sync_cursors (target, tenant, tbl, seq, rows, synced_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, tenant, tbl) DO UPDATE SET seq = excluded.seq, rows = excluded.rows, synced_at = excluded.synced_at`,
		c.Target, t.tenant, c.Table, c.Seq, c.Rows, timeText(t.s.Now()))
	return err
}

// Chain checks the events of one audit chain in order as they stream past,
// the way VerifyChain checks a whole stored chain: contiguous sequence
// numbers from 1, each previous_hash equal to the event_hash before it,
// canonical payloads and recomputed event hashes. sync uses it on events
// before it uploads them and on the copies in PostgreSQL.
type Chain struct {
	tenant string
	prev   string // event_hash of the last event added
	next   int64  // the seq the next event must have
}

// NewChain starts checking tenant's chain at its first event.
func NewChain(tenant string) *Chain { return &Chain{tenant: tenant, prev: GenesisHash, next: 1} }

// ResumeChain continues checking tenant's chain after an event already
// verified: the one with this seq and event hash.
func ResumeChain(tenant string, seq int64, eventHash string) *Chain {
	return &Chain{tenant: tenant, prev: eventHash, next: seq + 1}
}

// Add checks the next event. A break is a fail.Integrity error wrapping a
// *ChainError; the chain stays at the last good event.
func (c *Chain) Add(e Event) error {
	broken := func(reason string) error {
		return fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: reason})
	}
	if e.Seq != c.next {
		return broken(fmt.Sprintf("sequence gap: expected %d", c.next))
	}
	if e.PreviousHash != c.prev {
		return broken("previous_hash does not match the hash of the event before it")
	}
	if p, err := canon.Transform(e.Payload); err != nil || string(p) != string(e.Payload) {
		return broken("payload is not canonical JSON")
	}
	h, err := EventHash(c.tenant, e)
	if err != nil {
		return err
	}
	if h != e.EventHash {
		return broken("event_hash does not match the event's content (the row was edited)")
	}
	c.prev, c.next = e.EventHash, e.Seq+1
	return nil
}

// Head returns the seq and hash of the last event added (0 and GenesisHash
// before the first).
func (c *Chain) Head() (int64, string) { return c.next - 1, c.prev }
