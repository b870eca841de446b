package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/sync"
)

type auditVerifyOptions struct {
	gov         govFlags
	export      string
	dsn         string
	checkpoints []string
	trustRoots  []string
}

func newAuditVerifyCmd(app *App) *cobra.Command {
	opts := &auditVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--export FILE | --dsn URL | --checkpoint FILE…]",
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
events and runs; without that database, the output says it was not checked).`,
		Args: noArgs,
		RunE: runE(app, opts, runAuditVerify),
	}
	cmd.Flags().StringVar(&opts.export, "export", "", "verify this audit export file instead of the database")
	cmd.Flags().StringVar(&opts.dsn, "dsn", "", "verify the chains synced to this PostgreSQL database instead (docs/sync.md)")
	cmd.Flags().StringArrayVar(&opts.checkpoints, "checkpoint", nil, "also check the chain against the signed audit checkpoint of this bundle or checkpoint file (repeatable)")
	cmd.Flags().StringArrayVar(&opts.trustRoots, "trust-root", nil, "public key trusted to sign bundles: a PEM file, or the name or id of a key in the database (repeatable; config bundle.trust_roots)")
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runAuditVerify(ctx context.Context, app *App, opts *auditVerifyOptions, _ []string) error {
	if opts.dsn != "" {
		return runAuditVerifyPostgres(ctx, app, opts.dsn)
	}
	trust, err := app.site().InForce(ctx, opts.gov.trust) // none: verify with the keys the data carries
	if err != nil {
		return err
	}
	if opts.export != "" {
		return verifyExportFile(ctx, app, opts.export, trust)
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := governance.VerifyAuditWith(ctx, st, trust, governance.AuditOptions{AllowUnsignedTrust: app.Global.AllowUnsignedTrust})
	if err != nil {
		return err
	}
	for _, w := range rep.TrustWarnings {
		app.loud("WARNING: accepted because of --allow-unsigned-trust: " + w)
	}
	if len(opts.checkpoints) > 0 {
		if rep.Checkpoints, err = checkCheckpoints(ctx, app, st, opts, trust); err != nil {
			return err
		}
	}
	return app.render(rep, func(w io.Writer) error { return report.AuditVerified(w, rep, app.tableOptions()) })
}

// checkCheckpoints checks the chain against each --checkpoint, signed by a
// --trust-root key (or config bundle.trust_roots) or a key of the trust
// config (bundle.CheckCheckpoints).
func checkCheckpoints(ctx context.Context, app *App, st *store.Store, opts *auditVerifyOptions, trust *governance.Trust) ([]store.Checkpoint, error) {
	keys, err := governance.VerifyKeys(ctx, app.trustRoots(opts.trustRoots), trust, app.existingStore(ctx))
	if err != nil {
		return nil, err
	}
	return bundle.CheckCheckpoints(ctx, st, opts.checkpoints, keys)
}

func verifyExportFile(ctx context.Context, app *App, path string, trust *governance.Trust) error {
	rep, err := governance.VerifyExportFile(ctx, path, trust)
	if err != nil {
		return err
	}
	return app.render(rep, func(w io.Writer) error { return report.AuditExportVerified(w, path, rep) })
}

// runAuditVerifyPostgres is `stella audit verify --dsn URL`: it recomputes
// the tenant's audit chains as synced to PostgreSQL, one per site, checks
// registered sites' signed pushes (exit 6 on the first failure, naming
// site and event), then the synced runs' and findings' columns against
// the records they derive from: values that differ are listed, exit 6
// (docs/sync.md "What audit verify checks"). Where the database --db names
// exists, it also checks that PostgreSQL still holds the last audit event
// and every run that database sent (docs/sync.md "A chain cut at its end").
func runAuditVerifyPostgres(ctx context.Context, app *App, dsn string) error {
	c := sync.AuditCommand{DSN: dsn, Tenant: app.Global.Tenant, Sealed: app.Global.Sealed}
	if fileExists(app.Global.DB) {
		c.Local = func(ctx context.Context) (*store.Store, error) { return app.openStore(ctx, true) }
	}
	rep, err := c.Run(ctx)
	if err != nil && (rep == nil || rep.Differ == 0 && !rep.Tail.Cut()) {
		return err
	}
	if rerr := app.render(rep, func(w io.Writer) error { return report.SyncAuditVerified(w, rep, app.tableOptions()) }); rerr != nil {
		return rerr
	}
	return err
}
