package report

import (
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/sync"
	"github.com/stella-policy/stella/internal/text"
)

// The terminal forms of the sync commands and of `audit verify --dsn`
// (docs/sync.md).

// SyncPushed writes `sync postgres`: where it pushed, one row a table, the
// summary.
func SyncPushed(w io.Writer, rep *sync.Report, o Options) error {
	schema := fmt.Sprintf("schema %d", rep.Schema)
	if rep.SchemaBefore != rep.Schema {
		schema = fmt.Sprintf("schema %d → %d", rep.SchemaBefore, rep.Schema)
	}
	printf(w, "site %s, tenant %s → postgres %s (%s)\n", rep.Site, rep.Tenant, rep.Server, schema)
	t := NewTable(w, o.TTY, "TABLE", "PENDING", "SENT", "NEW", "UPDATED", "UNCHANGED", "BATCHES", "CURSOR")
	for _, tr := range rep.Tables {
		t.Append(tr.Table, tr.Pending, tr.Sent, tr.Inserted, tr.Updated, tr.Unchanged, tr.Batches, tr.Cursor)
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := printLine(w, rep.Summary())
	return err
}

// SyncRegistered writes the site `sync register` registered.
func SyncRegistered(w io.Writer, reg *sync.Registration, _ Options) error {
	what := "registered"
	switch {
	case !reg.Changed:
		what = "already registered"
	case reg.Previous != "":
		what = "re-registered (was " + reg.Previous + ")"
	}
	_, err := printf(w, "site %s (%s) of tenant %s %s in postgres %s: key %s, role %s\n",
		reg.Site, reg.Label, reg.Tenant, what, reg.Server, reg.KeyID, reg.Role)
	return err
}

// SyncAuditVerified writes `audit verify --dsn`: the chains synced to
// PostgreSQL that verified, one row a site; with the site key and signed
// pushes when a site is registered.
func SyncAuditVerified(w io.Writer, rep *sync.AuditReport, o Options) error {
	printf(w, "audit chains of tenant %s in postgres %s: ok (%d events from %d sites)\n",
		rep.Tenant, rep.Server, rep.Events(), len(rep.Chains))
	if len(rep.Chains) == 0 {
		return nil
	}
	cols := []any{"SITE", "LABEL", "EVENTS", "HEAD"}
	registered := rep.Registered()
	if registered {
		cols = append(cols, "SITE KEY", "SIGNED PUSHES")
	}
	t := NewTable(w, o.TTY, cols...)
	for _, c := range rep.Chains {
		row := []any{c.Site, c.Label, c.Events, c.Head}
		if registered {
			row = append(row, c.Key, c.Pushes)
		}
		t.Append(row...)
	}
	if err := t.Render(); err != nil {
		return err
	}
	return syncRows(w, rep, o)
}

// syncRows writes what audit verify --dsn found of the synced runs and
// findings: that their columns agree with the signed records, or each
// value that does not.
func syncRows(w io.Writer, rep *sync.AuditReport, o Options) error {
	runs, findings := text.Count(int(rep.Runs), "run", "runs"), text.Count(int(rep.Findings), "finding", "findings")
	if rep.Differ == 0 {
		_, err := printf(w, "synced %s and %s: every column agrees with the signed records\n", runs, findings)
		return err
	}
	printf(w, "synced %s and %s: %s NOT what the signed records say\n", runs, findings,
		text.Count(rep.Differ, "value is", "values are"))
	t := NewTable(w, o.TTY, "TABLE", "ROW", "COLUMN", "EXPECTED", "GOT")
	for _, m := range rep.Mismatches {
		t.Append(m.Table, m.Row, m.Column, m.Expected, m.Got)
	}
	if err := t.Render(); err != nil {
		return err
	}
	if n := rep.Differ - len(rep.Mismatches); n > 0 {
		printf(w, "… and %d more\n", n)
	}
	return nil
}
