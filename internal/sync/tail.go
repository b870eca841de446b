package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// The end of a chain (docs/sync.md "A chain cut at its end"). A chain in
// PostgreSQL whose last events were deleted, with the runs they recorded,
// is still a chain that verifies link by link: PostgreSQL alone cannot
// prove its own tail. The database that synced it can: its sync cursors
// (store.SyncCursor, mirrored after every committed batch) name the last
// change log entry of each table PostgreSQL committed, and the log entry
// names the row — for audit_events the last event sent, for runs every
// run sent up to it.

// TailCheck is what `audit verify --dsn` found of the end of the local
// site's history in PostgreSQL: whether it still holds the last audit event
// and every run this database sent there.
type TailCheck struct {
	// Checked is false when there was no local history to compare with;
	// Reason says why, and what could not be checked.
	Checked bool   `json:"checked"`
	Reason  string `json:"reason,omitempty"`
	Site    string `json:"site,omitempty"`
	// Seq and Hash are the last audit event this database sent; 0 and ""
	// when it sent none (or its change log no longer names it: Reason).
	Seq  int64  `json:"seq"`
	Hash string `json:"hash,omitempty"`
	// Held is the seq of the last event of the site's chain in PostgreSQL;
	// Held < Seq is a cut: events Held+1 … Seq are missing.
	Held int64 `json:"held"`
	// Runs is the number of runs this database sent (their rows as they
	// are here; runs pruned here since are not counted, Pruned are their
	// log entries); MissingRuns are those PostgreSQL does not hold, by id.
	Runs        int64    `json:"runs"`
	Pruned      int64    `json:"pruned,omitempty"`
	MissingRuns []string `json:"missingRuns"`
}

// Cut reports whether PostgreSQL lacks anything this database sent.
func (c *TailCheck) Cut() bool {
	return c != nil && (c.Held < c.Seq || len(c.MissingRuns) > 0)
}

// checkTail compares the end of the local site's chain and its synced runs
// in PostgreSQL with what local (opened on the same tenant) sent there.
// rep.Tail is set in every case; a cut is a fail.Integrity error naming the
// missing events and runs.
func checkTail(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport, local *store.Store) error {
	target, err := targetID(ctx, conn)
	if err != nil {
		return err
	}
	tc := &TailCheck{MissingRuns: []string{}}
	rep.Tail = tc
	var cursors []store.SyncCursor
	if err := local.View(ctx, func(tx *store.Tx) (err error) {
		if tc.Site, err = tx.SiteID(ctx); err != nil {
			return err
		}
		cursors, err = tx.SyncCursors(ctx, target)
		return err
	}); err != nil {
		return err
	}
	if len(cursors) == 0 {
		tc.Reason = fmt.Sprintf("this database (site %s) never synced tenant %s to this PostgreSQL database", tc.Site, rep.Tenant)
		return nil
	}
	tc.Checked = true
	for _, c := range cursors {
		switch c.Table {
		case "audit_events":
			if err := lastSent(ctx, local, c.Seq, tc); err != nil {
				return err
			}
		case "runs":
			if err := runsSent(ctx, conn, local, c.Seq, rep.Tenant, tc); err != nil {
				return err
			}
		}
	}
	tc.Held = rep.held(tc.Site)
	if tc.Seq > 0 && tc.Held >= tc.Seq {
		held, err := eventHash(ctx, conn, rep.Tenant, tc.Site, tc.Seq)
		if err != nil {
			return err
		}
		if held != tc.Hash {
			return fail.New(fail.Integrity, "postgres %s, tenant %s, site %s: this database sent audit event %d as %s; PostgreSQL holds %s "+
				"(its chain was rewritten from there, or this database is not the one that synced it)", srv.name, rep.Tenant, tc.Site, tc.Seq, tc.Hash, held)
		}
	}
	if !tc.Cut() {
		return nil
	}
	var what []string
	if tc.Held < tc.Seq {
		what = append(what, fmt.Sprintf("its audit chain ends at event %d, but this database sent events up to %d (%s): %s deleted",
			tc.Held, tc.Seq, tc.Hash, eventRange(tc.Held+1, tc.Seq)))
	}
	if n := len(tc.MissingRuns); n > 0 {
		what = append(what, fmt.Sprintf("%d of the %d runs this database sent %s missing: %s", n, tc.Runs, areIs(n), strings.Join(text.First(tc.MissingRuns, 5), ", ")))
	}
	return fail.New(fail.Integrity, "postgres %s, tenant %s, site %s: %s (docs/sync.md \"A chain cut at its end\")",
		srv.name, rep.Tenant, tc.Site, strings.Join(what, "; "))
}

// lastSent reads the audit event at change log entry seq, the last one the
// cursor says PostgreSQL committed.
func lastSent(ctx context.Context, local *store.Store, seq int64, tc *TailCheck) error {
	e, err := eventAt(ctx, local, tc.Site, seq)
	if err != nil {
		return err
	}
	if e == nil {
		// Audit events are never deleted: a log without the entry is
		// not the log that was synced.
		return fail.New(fail.Integrity, "this database's sync cursor names change log entry %d of audit_events, which its log does not hold "+
			"(the database was edited, or restored without its log); the end of the chain in PostgreSQL cannot be checked against it", seq)
	}
	tc.Seq, tc.Hash = e.Seq, e.EventHash
	return nil
}

// eventAt returns the audit event of change log entry seq of site's store
// st; nil when the log has no such entry of audit_events.
func eventAt(ctx context.Context, st *store.Store, site string, seq int64) (*store.Event, error) {
	var page *store.ChangePage
	if err := st.View(ctx, func(tx *store.Tx) (err error) {
		page, err = tx.Changes(ctx, store.ChangeQuery{Table: "audit_events", After: seq - 1, Limit: 1})
		return err
	}); err != nil {
		return nil, err
	}
	if len(page.Changes) == 0 || page.Changes[0].Seq != seq || page.Changes[0].Values == nil {
		return nil, nil
	}
	conv, err := newConverter(tableNamed("audit_events"), site, page.Columns)
	if err != nil {
		return nil, err
	}
	row, err := conv.convert(page.Changes[0].Values)
	if err != nil {
		return nil, err
	}
	e, err := auditEvent(row)
	return &e, err
}

// resentAfterCut are the tables a sync sends again from the start after
// it found this site's chain cut in PostgreSQL (checkCut): the deleted
// events, and the runs, findings and statements deleted with them.
var resentAfterCut = []string{"runs", "explains", "findings", "governance_statements", "audit_events"}

// checkCut runs before a sync sends anything. PostgreSQL's cursor of
// audit_events says which event this site sent last; when the site's chain
// there ends before it, events were deleted there (docs/sync.md "A chain
// cut at its end") and the cursors would never send them again. The sync
// says so (a warning) and sends the tables of resentAfterCut again from
// the start: what is there is unchanged, what was deleted comes back.
func (p *pusher) checkCut(ctx context.Context) error {
	if p.rep.Target == "" || p.cut != "" {
		return nil
	}
	c, err := p.remoteCursor(ctx, p.conn, tableNamed("audit_events"), false)
	if err != nil || c.seq == 0 {
		return err
	}
	e, err := eventAt(ctx, p.st, p.site, c.seq)
	if err != nil || e == nil {
		return err // no such entry here: diverged says so
	}
	held, _, err := p.remoteHead(ctx)
	if err != nil || held >= e.Seq {
		return err
	}
	p.cut = fmt.Sprintf("PostgreSQL's audit chain of this site ends at event %d, but this site sent events up to %d there: they were deleted "+
		"(docs/sync.md \"A chain cut at its end\"); sending %s again from the start", held, e.Seq, strings.Join(resentAfterCut, ", "))
	p.rep.Warnings = append(p.rep.Warnings, p.cut)
	return nil
}

// logPage is how many change log entries sentChanges reads at a time.
const logPage = 2000

// sentChanges calls fn with each page of table's change log up to entry
// last, in log order: the page's columns and its entries (none past last).
// These are what this site sent while its cursor of table stood at last.
func sentChanges(ctx context.Context, st *store.Store, table string, last int64, fn func(cols []string, changes []store.Change) error) error {
	for after := int64(0); after < last; {
		var page *store.ChangePage
		if err := st.View(ctx, func(tx *store.Tx) (err error) {
			page, err = tx.Changes(ctx, store.ChangeQuery{Table: table, After: after, Limit: logPage, MaxBytes: maxBatchBytes})
			return err
		}); err != nil {
			return err
		}
		n := len(page.Changes)
		if n == 0 {
			return nil
		}
		for n > 0 && page.Changes[n-1].Seq > last {
			n--
		}
		if err := fn(page.Columns, page.Changes[:n]); err != nil {
			return err
		}
		after = page.Last
	}
	return nil
}

// runsSent lists the runs of the change log up to entry last, as they are
// here, and looks each one up in PostgreSQL.
func runsSent(ctx context.Context, conn *pgx.Conn, local *store.Store, last int64, tenant string, tc *TailCheck) error {
	var ids []string
	seen := map[string]bool{}
	err := sentChanges(ctx, local, "runs", last, func(cols []string, changes []store.Change) error {
		i := slices.Index(cols, "run_id")
		if i < 0 {
			return errors.New("local table runs has no column run_id")
		}
		for _, c := range changes {
			if c.Values == nil {
				tc.Pruned++
				continue
			}
			if id, _ := c.Values[i].(string); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	tc.Runs = int64(len(ids))
	if len(ids) == 0 {
		return nil
	}
	rows, err := conn.Query(ctx, `SELECT id FROM unnest($2::text[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM policy.runs r WHERE r.tenant = $1 AND r.run_id = id)
		ORDER BY id COLLATE "C"`, tenant, ids)
	if err != nil {
		return err
	}
	tc.MissingRuns, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if tc.MissingRuns == nil {
		tc.MissingRuns = []string{}
	}
	return err
}

func eventRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("event %d is", from)
	}
	return fmt.Sprintf("events %d–%d are", from, to)
}

func areIs(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
