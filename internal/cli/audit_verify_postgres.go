package cli

import (
	"context"
	"fmt"
	"io"

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
	return app.render(rep, func(w io.Writer) error {
		fmt.Fprintf(w, "audit chains of tenant %s in postgres %s: ok (%d events from %d sites)\n",
			rep.Tenant, rep.Server, rep.Events(), len(rep.Chains))
		if len(rep.Chains) == 0 {
			return nil
		}
		cols := []any{"SITE", "LABEL", "EVENTS", "HEAD"}
		registered := rep.Registered()
		if registered {
			cols = append(cols, "SITE KEY", "SIGNED PUSHES")
		}
		t := app.newTable(w, cols...)
		for _, c := range rep.Chains {
			row := []any{c.Site, c.Label, c.Events, c.Head}
			if registered {
				row = append(row, c.Key, c.Pushes)
			}
			t.Append(row...)
		}
		return t.Render()
	})
}
