package cli

import (
	"context"
	"io"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/sync"
)

// runAuditVerifyPostgres is `stella audit verify --dsn URL`: it recomputes
// the tenant's audit chains as synced to PostgreSQL, one per site, and
// checks registered sites' signed pushes (exit 6 on the first failure,
// naming site and event; docs/sync.md).
func runAuditVerifyPostgres(ctx context.Context, app *App, dsn string) error {
	c := sync.AuditCommand{DSN: dsn, Tenant: app.Global.Tenant, Sealed: app.Global.Sealed}
	rep, err := c.Run(ctx)
	if err != nil {
		return err
	}
	return app.render(rep, func(w io.Writer) error { return report.SyncAuditVerified(w, rep, app.tableOptions()) })
}
