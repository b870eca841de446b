package cli

import (
	"context"
	"io"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/sync"
)

// runAuditVerifyPostgres is `stella audit verify --dsn URL`: it recomputes
// the tenant's audit chains as synced to PostgreSQL, one per site, checks
// registered sites' signed pushes (exit 6 on the first failure, naming
// site and event), then the synced runs' and findings' columns against
// the records they derive from: values that differ are listed, exit 6
// (docs/sync.md "What audit verify checks").
func runAuditVerifyPostgres(ctx context.Context, app *App, dsn string) error {
	c := sync.AuditCommand{DSN: dsn, Tenant: app.Global.Tenant, Sealed: app.Global.Sealed}
	rep, err := c.Run(ctx)
	if err != nil && (rep == nil || rep.Differ == 0) {
		return err
	}
	if rerr := app.render(rep, func(w io.Writer) error { return report.SyncAuditVerified(w, rep, app.tableOptions()) }); rerr != nil {
		return rerr
	}
	return err
}
