package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/sync"
)

type auditVerifyOptions struct {
	gov   govFlags
	check governance.AuditCheck // --export, --checkpoint, --trust-root
	pg    sync.AuditCommand     // --dsn, --key, --max-sync-age
	// changed reports whether a flag was given on the command line (not
	// from the environment or the config file).
	changed func(string) bool
}

func newAuditVerifyCmd(app *App) *cobra.Command {
	opts := &auditVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--export FILE | --dsn URL [--key PUB…] [--max-sync-age AGE] | --checkpoint FILE…]",
		Short: "Recompute the audit chain and every signature (exit 6 on the first broken link)",
		Long: `Verify the tenant's audit log: recompute every event's hash and its link to
the one before, check every signed governance statement against the event that
recorded it (digest, signer, signature, action, subject) and that no statement
exists outside the log, then verify every run attestation signed by a key this
site knows (keys in the database or the trust config; runs signed by unknown
keys are listed as unverifiable). The first broken link exits 6 and is named:
"audit chain broken at event N: …".

With --checkpoint FILE (a bundle this site exported, or a signed checkpoint
taken out of one, site/audit-checkpoint.dsse.json), also check that the chain
still holds the head the checkpoint records, signed by a --trust-root key or
a key of the trust config: events deleted from the tail are detected even
when the head anchor beside the database was rewritten too (docs/store.md).

With --export FILE, verify a signed audit export offline instead (no
database needed): the exporter's signature — by a key the trust config holds
with policy:audit, when a trust config is found —, the chain of the exported
events from their anchor to their head, and every statement they record.

With --dsn URL, verify the tenant's audit chains as synced to PostgreSQL by
` + "`stella sync postgres`" + `, one per site: sequence, links, canonical
payloads and event hashes, from each site's first event; then every summary
column of the synced runs and findings against the signed records they derive
from, listing each value that differs (table, row, column, expected, got;
exit 6; docs/sync.md "What audit verify checks"). Where the database of a
site that synced there is at hand (--db), also check that PostgreSQL still
holds the last audit event and every run it sent: events and runs deleted
from the end of a chain leave a shorter chain that verifies, which
PostgreSQL alone cannot tell from a complete one (exit 6 naming the missing
events and runs; without that database, the output says it was not checked).
Every sync also records a checkpoint (the head of the site's chain it left
there, and its time), signed by the site key when it has one: each
checkpoint's event must still be in the chain; with --key PUB (a site's
public key), the checkpoints it signed must verify, and with --max-sync-age AGE
the latest of each such site must be younger than AGE, so that syncs
deleted back to an earlier one are noticed by an auditor with only the DSN
(docs/sync.md "A chain cut at its end").`,
		Args: noArgs,
		RunE: runE(app, opts, runAuditVerify),
	}
	cmd.Flags().StringVar(&opts.check.Export, "export", "", "verify this audit export file instead of the database")
	cmd.Flags().StringVar(&opts.pg.DSN, "dsn", "", "verify the chains synced to this PostgreSQL database instead (docs/sync.md)")
	cmd.Flags().StringArrayVar(&opts.check.Checkpoints, "checkpoint", nil, "also check the chain against the signed audit checkpoint of this bundle or checkpoint file (repeatable)")
	cmd.Flags().StringArrayVar(&opts.pg.Keys, "key", nil, "with --dsn: a site's public key its sync checkpoints must verify under: a PEM file, or the name or id of a key in the database (repeatable)")
	cmd.Flags().StringVar(&opts.pg.MaxAge, "max-sync-age", "", "with --dsn and --key: the latest signed sync checkpoint of each site must be younger than this (e.g. 36h, 7d)")
	cmd.Flags().StringArrayVar(&opts.check.TrustRoots, "trust-root", nil, "public key trusted to sign bundles: a PEM file, or the name or id of a key in the database (repeatable; config bundle.trust_roots)")
	opts.gov.addTrustFlag(cmd)
	opts.changed = cmd.Flags().Changed
	return cmd
}

func runAuditVerify(ctx context.Context, app *App, opts *auditVerifyOptions, _ []string) error {
	opts.pg.MaxAgeGiven = opts.changed("max-sync-age")
	if opts.pg.DSN != "" {
		return runAuditVerifyPostgres(ctx, app, &opts.pg)
	}
	if err := opts.pg.NeedsDSN(); err != nil {
		return err
	}
	c := opts.check
	c.Trust, c.TrustRoots = opts.gov.trust, app.trustRoots(c.TrustRoots)
	if c.Export != "" {
		rep, err := app.site().VerifyAuditExport(ctx, c)
		if err != nil {
			return err
		}
		return app.render(rep, func(w io.Writer) error { return report.AuditExportVerified(w, c.Export, rep) })
	}
	rep, err := app.site().VerifyAudit(ctx, c)
	if err != nil {
		return err
	}
	return app.render(rep, func(w io.Writer) error { return report.AuditVerified(w, rep, app.tableOptions()) })
}

// runAuditVerifyPostgres is `stella audit verify --dsn URL`: the tenant's
// audit chains as synced to PostgreSQL, the synced rows, the sync
// checkpoints and, where the database --db names exists, what it sent
// there (sync.AuditCommand; docs/sync.md "What audit verify checks").
// Values that differ and a cut chain are listed, then exit 6.
func runAuditVerifyPostgres(ctx context.Context, app *App, c *sync.AuditCommand) error {
	c.Tenant, c.Sealed, c.Local = app.Global.Tenant, app.Global.Sealed, app.site().Existing(ctx)
	rep, err := c.Run(ctx)
	if err != nil && !rep.Lists() {
		return err
	}
	if rerr := app.render(rep, func(w io.Writer) error { return report.SyncAuditVerified(w, rep, app.tableOptions()) }); rerr != nil {
		return rerr
	}
	return err
}
