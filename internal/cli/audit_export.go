package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type auditExportOptions struct {
	gov govFlags
	req governance.AuditExportRequest
}

func newAuditExportCmd(app *App) *cobra.Command {
	opts := &auditExportOptions{}
	cmd := &cobra.Command{
		Use:   "export [--since TS|AGE|all] --sign-key KEY [--output FILE]",
		Short: "Write a signed export of the audit log for auditors (policy:audit)",
		Long: `Write the audit events at or after --since (default: the 365-day retention
window of run history; "all" for everything), every governance statement they
record, the hash the first event chains from and the head hash, as an in-toto
statement (predicate audit.export@1) signed by the acting key, with its public
key: {"envelope": DSSE, "publicKey": PEM}. A broken chain is never exported
(exit 6). The export is itself recorded (audit.exported). Auditors check it
with ` + "`stella audit verify --export FILE`" + `, no database needed.`,
		Args: noArgs,
		RunE: runE(app, opts, runAuditExport),
	}
	cmd.Flags().StringVar(&opts.req.Since, "since", "", "first events to export: RFC 3339 time, date, age (90d) or all")
	opts.gov.addFlags(cmd)
	return cmd
}

func runAuditExport(ctx context.Context, app *App, opts *auditExportOptions, _ []string) error {
	return app.govCommand(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) error {
		doc, rng, err := opts.req.Export(ctx, reg, act)
		if err != nil {
			return err
		}
		report.AuditExported(app.info(), rng, reg.Store.Tenant())
		return report.JSON(app.Out, doc)
	})
}
