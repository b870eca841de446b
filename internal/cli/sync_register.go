package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/sync"
)

type syncRegisterOptions struct {
	reg sync.RegisterOptions
}

func newSyncRegisterCmd(app *App) *cobra.Command {
	opts := &syncRegisterOptions{}
	cmd := &cobra.Command{
		Use:   "register --dsn URL --key SITE_PUB --role ROLE [--site-id ID] [--label NAME] [--replace]",
		Short: "Register a site's key and role in the shared PostgreSQL (an administrator's step)",
		Long: `Register a site of the tenant in PostgreSQL: its site id (default this
database's), the public half of its site key and the one PostgreSQL role
that pushes for it. Run it with the schema owner's connection string: no
other role may write policy.site_keys.

From then on PostgreSQL refuses the site's rows from any other role, and in
any batch not signed with the site key (stella sync postgres --sign-key);
once a tenant has a registered site, it refuses rows of unregistered sites.
A role already registered for another site of the tenant is refused: give
every site its own role. A registered site keeps its key and role unless
--replace is given (key rotation). See docs/sync.md "Site identity".`,
		Args: noArgs,
		RunE: runE(app, opts, runSyncRegister),
	}
	f := cmd.Flags()
	f.StringVar(&opts.reg.DSN, "dsn", "", "the schema owner's PostgreSQL connection string (default $STELLA_PG_DSN)")
	f.StringVar(&opts.reg.KeyRef, "key", "", "the site key's public key: a PEM file, or a registered key name or id")
	f.StringVar(&opts.reg.Role, "role", "", "the PostgreSQL role that pushes for the site")
	f.StringVar(&opts.reg.Site, "site-id", "", "the site id (default this database's: `stella sync postgres --dry-run --format json` shows it)")
	f.StringVar(&opts.reg.Label, "label", "", "the site's name in policy.site_keys")
	f.BoolVar(&opts.reg.Replace, "replace", false, "change the key or role of a registered site")
	cmd.MarkFlagRequired("key")
	cmd.MarkFlagRequired("role")
	return cmd
}

func runSyncRegister(ctx context.Context, app *App, opts *syncRegisterOptions, _ []string) error {
	o := opts.reg
	o.Sealed, o.Getenv, o.Tenant = app.Global.Sealed, app.Getenv, app.Global.Tenant
	reg, err := sync.Register(ctx, o, app.site().Existing(ctx))
	if err != nil {
		return err
	}
	return app.render(reg, func(w io.Writer) error { return report.SyncRegistered(w, reg, app.tableOptions()) })
}
