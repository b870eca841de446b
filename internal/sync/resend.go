package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Rows deleted in PostgreSQL (docs/sync.md "Rows deleted in PostgreSQL").
// The cursors send each change once: a governance statement, an exception
// or a lifecycle state that was deleted in PostgreSQL after this site sent
// it would never be sent again, and `audit verify --dsn` would keep
// reporting its absence. The site that sent it still holds it, and its
// change log up to the committed cursor is what PostgreSQL took from it. So
// before sending the changes of such a table, a sync lists the keys
// PostgreSQL holds for this site (one query) and inserts again, in one
// transaction signed like a batch, the rows it sent that are missing there,
// as they are here. A row PostgreSQL holds is never changed by this: one
// that differs stays the integrity failure audit verify reports.

// resendable are the tables whose rows a sync puts back when PostgreSQL
// lost them.
var resendable = []string{"policy_lifecycle", "governance_statements", "exceptions"}

// resend puts back the rows of t that this site sent and PostgreSQL no
// longer holds (see above), with the statements they rest on, adds them to
// tr and says so in a warning; a dry run only says what it would send.
func (p *pusher) resend(ctx context.Context, t *table, tr *TableReport) error {
	if !slices.Contains(resendable, t.name) || p.rep.Target == "" {
		return nil
	}
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// The cursor locked: a concurrent sync of this site waits, and no
	// batch of t commits between the listing and the insert.
	c, err := p.remoteCursor(ctx, tx, t, !p.o.DryRun)
	if err != nil || c.seq == 0 {
		return err
	}
	rows, keys, err := p.lost(ctx, tx, t, c.seq)
	if err != nil || len(rows) == 0 {
		return err
	}
	what := fmt.Sprintf("%s: PostgreSQL no longer holds %s this site sent there (%s; deleted there)",
		t.name, text.Count(len(rows), "row", "rows"), strings.Join(text.First(keys, 5), ", "))
	if p.o.DryRun {
		p.rep.Warnings = append(p.rep.Warnings, what+`; a sync would send them again (docs/sync.md "Rows deleted in PostgreSQL")`)
		return nil
	}
	if err := p.signPush(ctx, tx, t, 0, c.seq, rows); err != nil {
		return err
	}
	if err := p.sendStatements(ctx, tx, t, rows); err != nil {
		return err
	}
	if err := stage(ctx, tx, t, rows); err != nil {
		return err
	}
	list := strings.Join(t.remoteCols(), ", ")
	tag, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO policy.%s (%s) SELECT %s FROM stella_stage_%s ON CONFLICT (%s) DO NOTHING`,
		t.name, list, list, t.name, strings.Join(t.key, ", ")))
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	n := tag.RowsAffected()
	tr.Resent, tr.Sent, tr.Inserted = n, tr.Sent+n, tr.Inserted+n
	p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf(`%s; sent %d again (docs/sync.md "Rows deleted in PostgreSQL")`, what, n))
	return nil
}

// lost returns the rows of t this site sent (its change log entries up to
// sent, PostgreSQL's cursor) that PostgreSQL holds no row of this site
// under their key, as they are here, with their keys, in log order.
func (p *pusher) lost(ctx context.Context, tx pgx.Tx, t *table, sent int64) (rows [][]any, keys []string, err error) {
	held, err := heldKeys(ctx, tx, t, p.tenant, p.site)
	if err != nil {
		return nil, nil, err
	}
	return notHeld(ctx, p.st, t, p.tenant, p.site, sent, held)
}

// notHeld returns the rows of t that site's store st sent (its change log
// entries up to sent) whose keys are not in held, converted, with their
// keys, in log order. Rows deleted here since are not among them.
func notHeld(ctx context.Context, st *store.Store, t *table, tenant, site string, sent int64, held map[string]bool) (rows [][]any, keys []string, err error) {
	seen := map[string]bool{}
	err = sentChanges(ctx, st, t.name, sent, func(cols []string, changes []store.Change) error {
		conv, err := newConverter(t, site, cols)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if c.Values == nil {
				continue // deleted here since: nothing to put back
			}
			k := conv.keyText(c.Values)
			if held[k] || seen[k] {
				continue
			}
			seen[k] = true
			r, err := conv.convert(c.Values)
			if err != nil {
				return err
			}
			if r[0] != tenant {
				return fail.New(fail.Internal, "sync %s: the change log of tenant %s returned a row of tenant %v", t.name, tenant, r[0])
			}
			rows, keys = append(rows, r), append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, keys, nil
}

// heldKeys lists the keys of the rows of site and tenant that t holds in
// PostgreSQL, spelled as converter.keyText spells a local row's.
func heldKeys(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, t *table, tenant, site string) (map[string]bool, error) {
	var parts []string
	for _, k := range t.key {
		if k != "tenant" && k != "source_site" {
			parts = append(parts, k+"::text")
		}
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT concat_ws('/', %s) FROM policy.%s WHERE tenant = $1 AND source_site = $2`,
		strings.Join(parts, ", "), t.name), tenant, site)
	if err != nil {
		return nil, err
	}
	ks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(ks))
	for _, k := range ks {
		held[k] = true
	}
	return held, nil
}

// checkSent is audit verify's side of the above, with the database of a
// site that synced there at hand (checkTail found its cursors): every row
// of the tables of resendable that it sent, up to its own cursors, must be
// in PostgreSQL under its key. The tables' missing rows are a
// fail.Integrity error naming them; the next sync from that database puts
// them back.
func checkSent(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport, local *store.Store) error {
	tc := rep.Tail
	if tc == nil || !tc.Checked {
		return nil
	}
	target, err := targetID(ctx, conn)
	if err != nil {
		return err
	}
	var cursors []store.SyncCursor
	if err := local.View(ctx, func(tx *store.Tx) (err error) {
		cursors, err = tx.SyncCursors(ctx, target)
		return err
	}); err != nil {
		return err
	}
	var what []string
	for _, c := range cursors {
		t := tableNamed(c.Table)
		if t == nil || !slices.Contains(resendable, t.name) || c.Seq == 0 {
			continue
		}
		held, err := heldKeys(ctx, conn, t, rep.Tenant, tc.Site)
		if err != nil {
			return err
		}
		_, keys, err := notHeld(ctx, local, t, rep.Tenant, tc.Site, c.Seq, held)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			what = append(what, fmt.Sprintf("%s %s", t.name, strings.Join(text.First(keys, 5), ", ")))
		}
	}
	if len(what) == 0 {
		return nil
	}
	return fail.New(fail.Integrity, "postgres %s, tenant %s, site %s: PostgreSQL no longer holds rows this database sent there: %s "+
		"(deleted there; the next `stella sync postgres` from this database sends them again: docs/sync.md \"Rows deleted in PostgreSQL\")",
		srv.name, rep.Tenant, tc.Site, strings.Join(what, "; "))
}
