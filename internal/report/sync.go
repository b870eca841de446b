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
	if c := rep.Checkpoint; c != nil {
		printf(w, "checkpoint: event %d (%s) at %s, %s\n", c.Seq, c.EventHash, c.SyncedAt, checkpointSigner(c.KeyID))
	}
	_, err := printLine(w, rep.Summary())
	return err
}

func checkpointSigner(keyID string) string {
	if keyID == "" {
		return "unsigned (no --sign-key)"
	}
	return "signed by " + keyID
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
// pushes when a site is registered; what the end of the local site's chain
// showed (syncTail).
func SyncAuditVerified(w io.Writer, rep *sync.AuditReport, o Options) error {
	verdict := "ok"
	if rep.Tail.Cut() {
		verdict = "CUT at the end"
	}
	printf(w, "audit chains of tenant %s in postgres %s: %s (%d events from %d sites)\n",
		rep.Tenant, rep.Server, verdict, rep.Events(), len(rep.Chains))
	if len(rep.Chains) == 0 {
		if err := syncCheckpoints(w, rep.Checkpoints); err != nil {
			return err
		}
		return syncTail(w, rep.Tail)
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
	if err := syncCheckpoints(w, rep.Checkpoints); err != nil {
		return err
	}
	if err := syncTail(w, rep.Tail); err != nil {
		return err
	}
	return syncRows(w, rep, o)
}

// syncCheckpoints writes what the sync checkpoints showed, per site, and
// what could not be checked (docs/sync.md "A chain cut at its end").
func syncCheckpoints(w io.Writer, cc *sync.CheckpointCheck) error {
	if cc == nil {
		return nil
	}
	for _, s := range cc.Sites {
		line := fmt.Sprintf("sync checkpoints of site %s: %d, each held by its chain", s.Site, s.Checkpoints)
		switch {
		case s.Latest != nil:
			line += fmt.Sprintf("; %d signed by a key given, the latest at %s (event %d, key %s)", s.Signed, s.Latest.SyncedAt, s.Latest.Seq, s.Latest.KeyID)
			if cc.MaxAge != "" {
				line += ", within --max-sync-age " + cc.MaxAge
			}
		case len(cc.Keys) > 0:
			line += "; none signed by a key given"
		}
		printLine(w, line)
	}
	if cc.Reason != "" {
		_, err := printf(w, "sync checkpoints: NOT checked: %s\n", cc.Reason)
		return err
	}
	return nil
}

// syncTail writes whether PostgreSQL still holds what the local database
// sent (docs/sync.md "A chain cut at its end"), or why that was not checked.
func syncTail(w io.Writer, tc *sync.TailCheck) error {
	switch {
	case tc == nil:
		return nil
	case !tc.Checked:
		_, err := printf(w, "end of the chains: NOT checked: %s\n", tc.Reason)
		return err
	}
	runs := text.Count(int(tc.Runs), "run", "runs")
	if tc.Pruned > 0 {
		runs += fmt.Sprintf(" (and %s of runs pruned here since)", text.Count(int(tc.Pruned), "log entry", "log entries"))
	}
	event := "no audit events"
	if tc.Seq > 0 {
		event = fmt.Sprintf("audit events up to %d (%s)", tc.Seq, tc.Hash)
	}
	printf(w, "end of site %s's chain: this database sent %s and %s\n", tc.Site, event, runs)
	if !tc.Cut() {
		_, err := printLine(w, "  PostgreSQL holds all of them")
		return err
	}
	switch {
	case tc.Held == tc.Seq-1:
		printf(w, "  MISSING in PostgreSQL: audit event %d (its chain ends at event %d)\n", tc.Seq, tc.Held)
	case tc.Held < tc.Seq:
		printf(w, "  MISSING in PostgreSQL: audit events %d–%d (its chain ends at event %d)\n", tc.Held+1, tc.Seq, tc.Held)
	}
	for _, id := range tc.MissingRuns {
		printf(w, "  MISSING in PostgreSQL: run %s\n", id)
	}
	return nil
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
