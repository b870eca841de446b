package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/sync"
)

type syncPostgresOptions struct {
	dsn       string
	tables    []string
	batch     int
	dryRun    bool
	withBlobs bool
	site      string
	retries   int
}

func newSyncPostgresCmd(app *App) *cobra.Command {
	opts := &syncPostgresOptions{}
	cmd := &cobra.Command{
		Use:   "postgres [--dsn URL] [--tables runs,findings,…] [--batch N] [--dry-run] [--with-blobs]",
		Short: "Push this database's history to a shared PostgreSQL (schema policy)",
		Long: `Push the tenant's history to PostgreSQL: policies and their versions and
lifecycle, snapshot manifests, runs, findings, explain traces, signed
governance statements (approvals), exceptions and audit events. Blobs
(policy sources, IR, snapshot files) and approval attachments are sent only
with --with-blobs or when named in --tables. The connection string comes from
--dsn or STELLA_PG_DSN (a URL or key=value string; libpq variables such as
PGPASSWORD also apply).

The schema "policy" is created and upgraded by numbered migrations; a schema
written by a newer stella is refused. Every row carries the tenant and this
database's site id. A sync sends only what changed since the last one
(nothing, when nothing did), in batches of --batch rows, each one
transaction; an interrupted sync continues where it stopped. The same run id
with different content from another site is refused (exit 6), as is a local
audit chain that does not verify. Connection failures are retried with
backoff (--retries), then exit 10. Progress goes to stderr, the summary to
stdout.

Tables, in the order they are sent:
` + wrapList(sync.TableNames(), 76),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSyncPostgres(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.dsn, "dsn", "", "PostgreSQL connection string (default $STELLA_PG_DSN)")
	f.StringSliceVar(&opts.tables, "tables", nil, "sync only these tables (comma-separated)")
	f.IntVar(&opts.batch, "batch", sync.DefaultBatch, "rows per transaction")
	f.BoolVar(&opts.dryRun, "dry-run", false, "report what would be sent; change nothing here or there")
	f.BoolVar(&opts.withBlobs, "with-blobs", false, "also send blobs (sources, IR, snapshot files) and approval attachments")
	f.StringVar(&opts.site, "site", "", "this site's label in policy.sites (default the host name)")
	f.IntVar(&opts.retries, "retries", 4, "retries of a failed connection or batch, with doubling backoff from 0.5s")
	return cmd
}

func runSyncPostgres(ctx context.Context, app *App, opts *syncPostgresOptions) error {
	if err := bundle.Guard(app.Global.Sealed, "sync postgres (a connection to PostgreSQL)"); err != nil {
		return err
	}
	if opts.batch < 1 {
		return fail.New(fail.Invalid, "--batch must be at least 1, not %d", opts.batch)
	}
	if opts.retries < 0 {
		return fail.New(fail.Invalid, "--retries must not be negative")
	}
	dsn := opts.dsn
	if dsn == "" {
		dsn = app.Getenv("STELLA_PG_DSN")
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	// Governance rows are pushed only when they agree with their signed
	// statements (docs/governance.md "Threat model"): a row edited in the
	// database never reaches PostgreSQL.
	if err := st.View(ctx, func(tx *store.Tx) error {
		problems, err := governance.CheckRows(ctx, tx)
		if err == nil && len(problems) > 0 {
			err = fail.New(fail.Integrity, "not syncing: %s", problems[0])
		}
		return err
	}); err != nil {
		return err
	}
	retry := sync.Retry{Attempts: opts.retries}
	if opts.retries == 0 {
		retry.Attempts = -1 // Retry's zero value means the default
	}
	rep, err := sync.Push(ctx, st, sync.Options{
		DSN: dsn, Tables: opts.tables, Batch: opts.batch, DryRun: opts.dryRun, WithBlobs: opts.withBlobs,
		Label: opts.site, Retry: retry,
		Progress: func(p sync.Progress) {
			if p.Pending > int64(opts.batch) { // only tables that take several batches
				app.infof("stella: sync: %s %d/%d", p.Table, p.Sent, p.Pending)
			}
		},
	})
	if rep != nil {
		for _, w := range rep.Warnings {
			app.infof("stella: warning: %s", w)
		}
	}
	if err != nil {
		if rep != nil && rep.Sent() > 0 {
			app.infof("stella: sync stopped after sending %d rows; what was sent is committed, run it again to continue", rep.Sent())
		}
		return err
	}
	app.Log.Info("synced", "server", rep.Server, "tenant", rep.Tenant, "site", rep.Site, "rows", rep.Sent(), "dryRun", rep.DryRun)
	return app.render(rep, func(w io.Writer) error { return app.syncTable(w, rep) })
}

func (a *App) syncTable(w io.Writer, rep *sync.Report) error {
	schema := fmt.Sprintf("schema %d", rep.Schema)
	if rep.SchemaBefore != rep.Schema {
		schema = fmt.Sprintf("schema %d → %d", rep.SchemaBefore, rep.Schema)
	}
	verb := "sent"
	if rep.DryRun {
		verb = "would send (dry run)"
	}
	fmt.Fprintf(w, "site %s, tenant %s → postgres %s (%s)\n", rep.Site, rep.Tenant, rep.Server, schema)
	t := a.newTable(w, "TABLE", "PENDING", "SENT", "NEW", "UPDATED", "UNCHANGED", "BATCHES", "CURSOR")
	var pending int64
	for _, tr := range rep.Tables {
		pending += tr.Pending
		t.Append(tr.Table, tr.Pending, tr.Sent, tr.Inserted, tr.Updated, tr.Unchanged, tr.Batches, tr.Cursor)
	}
	if err := t.Render(); err != nil {
		return err
	}
	n := rep.Sent()
	if rep.DryRun {
		n = pending
	}
	_, err := fmt.Fprintf(w, "%s %d rows from %d tables\n", verb, n, len(rep.Tables))
	return err
}

// wrapList joins words with ", " into lines of at most width characters,
// each indented by two spaces.
func wrapList(words []string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i < len(words)-1 {
			w += ","
		}
		if line > 0 && line+1+len(w) > width {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString("  ")
			line = 2
		} else {
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}
