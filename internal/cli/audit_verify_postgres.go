package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/sync"
)

// runAuditVerifyPostgres is `stella audit verify --dsn URL`: it recomputes
// the tenant's audit chains as synced to PostgreSQL, one per site (exit 6 on
// the first broken link, naming site and event).
func runAuditVerifyPostgres(ctx context.Context, app *App, dsn string) error {
	if app.Global.Sealed {
		return fail.New(fail.Sealed, "audit verify --dsn needs the network; refused in sealed mode (--sealed or STELLA_OFFLINE=1)")
	}
	rep, err := sync.VerifyAudit(ctx, dsn, app.Global.Tenant, sync.Retry{})
	if err != nil {
		return err
	}
	return app.render(rep, func(w io.Writer) error {
		fmt.Fprintf(w, "audit chains of tenant %s in postgres %s: ok (%d events from %d sites)\n",
			rep.Tenant, rep.Server, rep.Events(), len(rep.Chains))
		if len(rep.Chains) == 0 {
			return nil
		}
		t := app.newTable(w, "SITE", "LABEL", "EVENTS", "HEAD")
		for _, c := range rep.Chains {
			t.Append(c.Site, c.Label, c.Events, c.Head)
		}
		return t.Render()
	})
}
