package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/sync"
)

type syncPostgresOptions struct {
	cmd  sync.Command
	sign signFlags
}

func newSyncPostgresCmd(app *App) *cobra.Command {
	opts := &syncPostgresOptions{}
	cmd := &cobra.Command{
		Use:   "postgres [--dsn URL] [--tables runs,findings,…] [--batch N] [--dry-run] [--with-blobs] [--sign-key SITE_KEY]",
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

A site registered in PostgreSQL (stella sync register) pushes with its site
key (--sign-key), which signs every batch, and with the role it is
registered to; a database claiming a registered site's id without them is
refused (exit 6), by stella and by PostgreSQL.

Every sync ends by recording a checkpoint: the head of this site's audit
chain in PostgreSQL and the time, signed with --sign-key when given, so
that ` + "`stella audit verify --dsn --key PUB --max-sync-age AGE`" + ` can tell a chain
cut at its end (docs/sync.md "A chain cut at its end", with its limits).

Tables, in the order they are sent:
` + wrapList(sync.TableNames(), 76),
		Args: noArgs,
		RunE: runE(app, opts, runSyncPostgres),
	}
	f := cmd.Flags()
	o := &opts.cmd
	f.StringVar(&o.DSN, "dsn", "", "PostgreSQL connection string (default $STELLA_PG_DSN)")
	f.StringSliceVar(&o.Tables, "tables", nil, "sync only these tables (comma-separated)")
	f.IntVar(&o.Batch, "batch", sync.DefaultBatch, "rows per transaction")
	f.BoolVar(&o.DryRun, "dry-run", false, "report what would be sent; change nothing here or there")
	f.BoolVar(&o.WithBlobs, "with-blobs", false, "also send blobs (sources, IR, snapshot files) and approval attachments")
	f.StringVar(&o.Label, "site", "", "this site's label in policy.sites (default the host name)")
	f.IntVar(&o.Retries, "retries", 4, "retries of a failed connection or batch, with doubling backoff from 0.5s")
	opts.sign.add(f, "the site key (private) that signs every batch; required for a registered site (docs/sync.md \"Site identity\")")
	return cmd
}

func runSyncPostgres(ctx context.Context, app *App, opts *syncPostgresOptions, _ []string) error {
	c := opts.cmd
	c.Sealed, c.Info, c.Getenv, c.SignKey = app.Global.Sealed, app.infof, app.Getenv, opts.sign.query(app)
	rep, err := c.Run(ctx, func(ctx context.Context) (*store.Store, error) { return app.openStore(ctx, true) })
	if err != nil {
		return err
	}
	app.Log.Info("synced", "server", rep.Server, "tenant", rep.Tenant, "site", rep.Site, "rows", rep.Sent(), "dryRun", rep.DryRun)
	return app.render(rep, func(w io.Writer) error { return report.SyncPushed(w, rep, app.tableOptions()) })
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
