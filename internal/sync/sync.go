// Package sync owns `stella sync postgres`: pushing a site's history from
// its SQLite store to a shared PostgreSQL database, where many CI runners
// and sites report into one place, and reading it back for `stella audit
// verify --dsn`.
//
// The shared schema "policy" is created and upgraded by numbered migrations
// (migrations/*.sql); a schema newer than this binary is refused. Every row
// carries its tenant and its source site, the stable id of the SQLite
// database it came from.
//
// A sync is idempotent and resumable. The store logs every insert and
// update of a synced table (store.Changes); per table, the shared database
// keeps a cursor for each site and tenant: the last log entry it committed.
// A sync sends what the log holds after that cursor, in batches; each batch
// (rows copied into a staging table with COPY, upserted, checked for
// conflicts, cursor advanced) is one transaction, so an interrupted sync
// loses at most the batch in flight and the next one continues after the
// last committed batch. The cursor is mirrored in the local store.
//
// Rows keyed by content (runs, findings, explains, snapshots, blobs) may
// arrive from several sites: the same key with the same content is kept
// once; the same key with different content is an integrity failure and
// nothing of that batch is written. Audit events are checked link by link
// before they are sent, each sync ends with a checkpoint of the head it
// left (signed with the site key), and the copy in PostgreSQL can be
// verified again (VerifyAudit), against the checkpoints and, where it is at
// hand, the database that sent it (docs/sync.md "A chain cut at its end").
package sync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// DefaultBatch is the number of rows per transaction when Options.Batch is 0.
const DefaultBatch = 5000

// maxBatchBytes bounds the bytes of row values read for one batch, so that
// batches of large blobs stay small.
const maxBatchBytes = 32 << 20

// Options tune Push.
type Options struct {
	DSN       string   // PostgreSQL connection string (URL or key=value)
	Tables    []string // tables to sync (TableNames); nil = all
	Batch     int      // rows per transaction; default DefaultBatch
	DryRun    bool     // count what would be sent; change nothing anywhere
	WithBlobs bool     // also send blobs and approval attachments
	Label     string   // the site's name in policy.sites; default the host name
	Retry     Retry
	// Key is the site key (private): every batch is signed with it. A
	// registered site must push with its registered key (docs/sync.md
	// "Site identity"); an unregistered one may push without.
	Key *attest.Key
	// Now is the sync's time, from the CLI's clock: its checkpoint records
	// it (docs/sync.md "A chain cut at its end"); zero: the clock when the
	// sync starts.
	Now time.Time
	// Progress, when set, is called after each committed batch.
	Progress func(Progress)

	// beforeCommit, when set, runs inside each batch's transaction just
	// before it commits; tests interrupt syncs with it.
	beforeCommit func(table string, batch int) error
}

// Progress reports a committed batch.
type Progress struct {
	Table   string
	Sent    int64 // rows of Table sent so far in this sync
	Pending int64 // change log entries of Table there were to send
}

// Report says what a sync did (or, in a dry run, would do).
type Report struct {
	Site         string        `json:"site"`
	Tenant       string        `json:"tenant"`
	Server       string        `json:"server"` // host:port/database
	Target       string        `json:"target"` // the shared database's id; "" before its schema exists
	DryRun       bool          `json:"dryRun"`
	SchemaBefore int           `json:"schemaBefore"`
	Schema       int           `json:"schema"` // after the sync (dry run: what it would be)
	Tables       []TableReport `json:"tables"`
	Warnings     []string      `json:"warnings"`
	// Checkpoint is the head of the site's chain in PostgreSQL the sync
	// recorded, signed with Options.Key when set; nil in a dry run.
	Checkpoint *SyncCheckpoint `json:"checkpoint,omitempty"`
}

// TableReport is one table's part of a sync.
type TableReport struct {
	Table     string `json:"table"`
	Pending   int64  `json:"pending"`   // change log entries after the cursor when the table started
	Sent      int64  `json:"sent"`      // rows sent
	Inserted  int64  `json:"inserted"`  // new in PostgreSQL
	Updated   int64  `json:"updated"`   // changed there (owned rows, failed runs that later succeeded)
	Unchanged int64  `json:"unchanged"` // already there with the same content
	// Resent are rows this site had sent that PostgreSQL no longer held,
	// sent again (counted in Sent and Inserted too; docs/sync.md "Rows
	// deleted in PostgreSQL").
	Resent  int64 `json:"resent,omitempty"`
	Batches int   `json:"batches"`
	Cursor  int64 `json:"cursor"` // the committed cursor afterwards
}

// Sent is the number of rows sent over all tables.
func (r *Report) Sent() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Sent
	}
	return n
}

// Push syncs the tenant of st to the PostgreSQL database o.DSN names.
func Push(ctx context.Context, st *store.Store, o Options) (*Report, error) {
	sel, err := selectTables(o.Tables, o.WithBlobs)
	if err != nil {
		return nil, err
	}
	if o.Batch < 0 {
		return nil, fail.New(fail.Invalid, "--batch must be positive, not %d", o.Batch)
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	o.Retry = o.Retry.withDefaults()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	srv, err := parseDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	var site string
	if err := st.View(ctx, func(tx *store.Tx) (err error) { site, err = tx.SiteID(ctx); return err }); err != nil {
		return nil, err
	}
	if o.Label == "" {
		o.Label, _ = os.Hostname()
	}
	p := &pusher{st: st, srv: srv, o: o, site: site, tenant: st.Tenant(),
		rep: &Report{Site: site, Tenant: st.Tenant(), Server: srv.name, DryRun: o.DryRun, Warnings: []string{}}}
	defer p.close()
	if err := p.retrying(ctx, p.prepare); err != nil {
		return nil, err
	}
	for _, t := range sel {
		if err := p.table(ctx, t); err != nil {
			return p.rep, err
		}
	}
	if !o.DryRun {
		if err := p.retrying(ctx, p.finish); err != nil {
			return p.rep, err
		}
	}
	return p.rep, nil
}

// selectTables resolves --tables. Blob tables are included when asked for
// by name or with --with-blobs.
func selectTables(names []string, withBlobs bool) ([]*table, error) {
	var out []*table
	for _, n := range names {
		if tableNamed(n) == nil {
			return nil, fail.New(fail.Invalid, "--tables: unknown table %q (want some of %s)", n, strings.Join(TableNames(), ", "))
		}
	}
	for _, t := range tables {
		switch {
		case names != nil && !slices.Contains(names, t.name):
		case names == nil && t.blobs && !withBlobs:
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

type pusher struct {
	st     *store.Store
	srv    *server
	o      Options
	site   string
	tenant string
	conn   *pgx.Conn
	rep    *Report
	known  bool   // the site is in policy.sites
	cut    string // why this site's chain in PostgreSQL was found cut (checkCut); "" when it was not
}

func (p *pusher) close() {
	if p.conn != nil {
		p.conn.Close(context.Background())
		p.conn = nil
	}
}

// retrying runs step on a live connection, connecting first when needed;
// after a transient failure (of the connection or the step) it reconnects
// and runs step again, at most Retry.Attempts times in a row.
func (p *pusher) retrying(ctx context.Context, step func(context.Context) error) error {
	for n := 0; ; n++ {
		var err error
		if p.conn == nil {
			p.conn, err = pgx.ConnectConfig(ctx, p.srv.cfg)
		}
		if err == nil {
			err = step(ctx)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fail.New(fail.Transient, "sync to %s interrupted (%v); run it again to continue", p.srv.name, ctx.Err())
		}
		if !transient(err) || n >= p.o.Retry.Attempts {
			return p.srv.fail(err, n+1)
		}
		p.close()
		if werr := p.o.Retry.wait(ctx, n); werr != nil {
			return p.srv.fail(werr, n+1)
		}
	}
}

// prepare brings the shared schema up to date (a dry run only reads its
// version) and reads the database's target id.
func (p *pusher) prepare(ctx context.Context) error {
	v, err := schemaVersion(ctx, p.conn)
	if err != nil {
		return err
	}
	if err := checkNotNewer(v); err != nil {
		return err
	}
	p.rep.SchemaBefore, p.rep.Schema = v, SchemaVersion()
	if v < SchemaVersion() {
		if p.o.DryRun {
			if v == 0 {
				return nil // nothing to read yet
			}
		} else if _, _, err := migrate(ctx, p.conn, SchemaVersion()); err != nil {
			return err
		}
	}
	if p.rep.Target, err = targetID(ctx, p.conn); err != nil {
		return err
	}
	if err := p.checkSite(ctx); err != nil {
		return err
	}
	if err := p.checkFork(ctx); err != nil {
		return err
	}
	if err := p.checkCut(ctx); err != nil {
		return err
	}
	return p.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM policy.sites WHERE site_id = $1)`, p.site).Scan(&p.known)
}

// finish records the site and its label when this sync sent anything or
// the site is new, then the sync's checkpoint.
func (p *pusher) finish(ctx context.Context) error {
	if !p.known || p.rep.Sent() > 0 {
		_, err := p.conn.Exec(ctx, `INSERT INTO policy.sites (site_id, label, stella_version) VALUES ($1, $2, $3)
		ON CONFLICT (site_id) DO UPDATE SET label = EXCLUDED.label, stella_version = EXCLUDED.stella_version, last_sync_at = now()`,
			p.site, p.o.Label, buildinfo.Version)
		if err != nil {
			return err
		}
	}
	return p.checkpoint(ctx)
}

// cursor is a table's committed position in this site's change log.
type cursor struct {
	seq     int64  // the last change log entry committed
	lastRow string // the fingerprint of its row; "" when unknown
	rows    int64  // rows sent so far
}

// remoteCursor reads the committed cursor of t for this site and tenant.
func (p *pusher) remoteCursor(ctx context.Context, q querier, t *table, lock bool) (cursor, error) {
	var c cursor
	if p.rep.Target == "" { // dry run before the schema exists
		return c, nil
	}
	sql := `SELECT seq, last_row, rows_sent FROM policy.sync_cursors WHERE source_site = $1 AND tenant = $2 AND table_name = $3`
	if lock {
		sql += ` FOR UPDATE`
	}
	err := q.QueryRow(ctx, sql, p.site, p.tenant, t.name).Scan(&c.seq, &c.lastRow, &c.rows)
	if errors.Is(err, pgx.ErrNoRows) {
		return cursor{}, nil
	}
	return c, err
}

// table syncs one table: batch after batch until the change log has
// nothing after the cursor.
func (p *pusher) table(ctx context.Context, t *table) error {
	tr := TableReport{Table: t.name}
	defer func() { p.rep.Tables = append(p.rep.Tables, tr) }()
	var c cursor
	err := p.retrying(ctx, func(ctx context.Context) (err error) {
		c, err = p.remoteCursor(ctx, p.conn, t, false)
		return err
	})
	if err != nil {
		return err
	}
	rescan, err := p.diverged(ctx, t, c)
	if err != nil {
		return err
	}
	rescan = rescan || p.cut != "" && slices.Contains(resentAfterCut, t.name)
	if !rescan {
		tr.Cursor = c.seq
		if err := p.retrying(ctx, func(ctx context.Context) error { return p.resend(ctx, t, &tr) }); err != nil {
			return err
		}
	}
	if err := p.st.View(ctx, func(tx *store.Tx) (err error) {
		tr.Pending, err = tx.PendingChanges(ctx, t.name, tr.Cursor)
		return err
	}); err != nil {
		return err
	}
	if p.o.DryRun {
		return nil
	}
	for {
		var more bool
		if err := p.st.View(ctx, func(tx *store.Tx) (err error) { more, err = tx.HasChanges(ctx, t.name, tr.Cursor); return err }); err != nil {
			return err
		}
		if !more {
			return nil
		}
		var done bool
		fromStart := rescan && tr.Batches == 0
		err := p.retrying(ctx, func(ctx context.Context) (err error) {
			done, err = p.batch(ctx, t, &tr, fromStart)
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// diverged reports whether the local change log no longer agrees with the
// cursor committed in PostgreSQL: the entry at the cursor is missing, or
// is another table's, or its row is another one. That happens to a
// database restored from a backup older than its last sync (or replaced by
// a copy of another site's). The table is then sent again from the start,
// with a warning: rows the shared database has are kept, new ones are
// added, and different ones are refused.
func (p *pusher) diverged(ctx context.Context, t *table, c cursor) (bool, error) {
	if c.seq == 0 {
		return false, nil
	}
	var page *store.ChangePage
	err := p.st.View(ctx, func(tx *store.Tx) (err error) {
		page, err = tx.Changes(ctx, store.ChangeQuery{Table: t.name, After: c.seq - 1, Limit: 1})
		return err
	})
	if err != nil {
		return false, err
	}
	var why string
	switch {
	case len(page.Changes) == 0 || page.Changes[0].Seq != c.seq:
		why = fmt.Sprintf("the local change log has no entry %d for it", c.seq)
	case page.Changes[0].Values == nil || c.lastRow == "":
		return false, nil // its row was deleted since (store prune): nothing to compare
	default:
		conv, err := newConverter(t, p.site, page.Columns)
		if err != nil {
			return false, err
		}
		if f := conv.fingerprint(page.Changes[0].Values); f != c.lastRow {
			why = fmt.Sprintf("its entry %d is %s here but was %s when it was sent", c.seq, f, c.lastRow)
		}
	}
	if why == "" {
		return false, nil
	}
	p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("%s: PostgreSQL has this site's changes up to %d, but %s "+
		"(restored from a backup?); sending the table again from the start", t.name, c.seq, why))
	return true, nil
}

// batch sends the next batch of t in one transaction; done reports that
// there was nothing left to send. It continues from the cursor committed in
// PostgreSQL, locked for the transaction, so it can run again after any
// failure and concurrent syncs of one site never send a batch twice
// (fromStart overrides it for a rescan).
func (p *pusher) batch(ctx context.Context, t *table, tr *TableReport, fromStart bool) (done bool, err error) {
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO policy.sync_cursors (source_site, tenant, table_name, seq, last_row, rows_sent)
		VALUES ($1, $2, $3, 0, '', 0) ON CONFLICT DO NOTHING`, p.site, p.tenant, t.name); err != nil {
		return false, err
	}
	c, err := p.remoteCursor(ctx, tx, t, true)
	if err != nil {
		return false, err
	}
	if fromStart {
		c.seq = 0
	}
	var page *store.ChangePage
	err = p.st.View(ctx, func(ltx *store.Tx) (err error) {
		page, err = ltx.Changes(ctx, store.ChangeQuery{Table: t.name, After: c.seq, Limit: p.o.Batch, MaxBytes: maxBatchBytes})
		return err
	})
	if err != nil {
		return false, err
	}
	if len(page.Changes) == 0 {
		tr.Cursor = c.seq
		return true, tx.Commit(ctx)
	}
	rows, lastRow, err := p.rows(t, page)
	if err != nil {
		return false, err
	}
	if t.name == "audit_events" {
		if err := p.checkChain(ctx, tx, rows); err != nil {
			return false, err
		}
	}
	if err := p.signPush(ctx, tx, t, c.seq, page.Last, rows); err != nil {
		return false, err
	}
	if err := p.sendStatements(ctx, tx, t, rows); err != nil {
		return false, err
	}
	ins, upd, err := p.upsert(ctx, tx, t, rows)
	if err != nil {
		return false, err
	}
	sent := int64(len(rows))
	if _, err := tx.Exec(ctx, `UPDATE policy.sync_cursors SET seq = $4, last_row = $5, rows_sent = $6, updated_at = now()
		WHERE source_site = $1 AND tenant = $2 AND table_name = $3`, p.site, p.tenant, t.name, page.Last, lastRow, c.rows+sent); err != nil {
		return false, err
	}
	if p.o.beforeCommit != nil {
		if err := p.o.beforeCommit(t.name, tr.Batches); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	tr.Batches++
	tr.Cursor = page.Last
	tr.Sent += sent
	tr.Inserted += ins
	tr.Updated += upd
	tr.Unchanged += sent - ins - upd
	err = p.st.Update(ctx, func(ltx *store.Tx) error {
		return ltx.SetSyncCursor(ctx, store.SyncCursor{Target: p.rep.Target, Table: t.name, Seq: page.Last, Rows: c.rows + sent})
	})
	if err != nil {
		return false, err
	}
	if p.o.Progress != nil {
		p.o.Progress(Progress{Table: t.name, Sent: tr.Sent, Pending: tr.Pending})
	}
	return false, nil
}

// rows converts a page's rows that still exist, once per key, and returns
// the fingerprint of the last entry's row ("" when it was deleted).
func (p *pusher) rows(t *table, page *store.ChangePage) (rows [][]any, lastRow string, err error) {
	conv, err := newConverter(t, p.site, page.Columns)
	if err != nil {
		return nil, "", err
	}
	seen := make(map[string]bool, len(page.Changes))
	rows = make([][]any, 0, len(page.Changes))
	for _, c := range page.Changes {
		if c.Values == nil {
			continue // deleted since it was logged
		}
		r, err := conv.convert(c.Values)
		if err != nil {
			return nil, "", err
		}
		if r[0] != p.tenant {
			return nil, "", fail.New(fail.Internal, "sync %s: the change log of tenant %s returned a row of tenant %v", t.name, p.tenant, r[0])
		}
		k := conv.keyOf(r)
		if seen[k] {
			continue
		}
		seen[k] = true
		rows = append(rows, r)
	}
	if last := page.Changes[len(page.Changes)-1]; last.Values != nil {
		lastRow = conv.fingerprint(last.Values)
	}
	return rows, lastRow, nil
}
