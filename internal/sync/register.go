package sync

import (
	"context"
	"errors"
	"regexp"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

// RegisterOptions say which site to register, with which key and role.
type RegisterOptions struct {
	DSN     string // the schema owner's (or a superuser's) connection string
	Tenant  string // default store.DefaultTenant
	Site    string // the site id (32 hex characters); "" = the local database's
	KeyRef  string // the site key: a PEM file, or a key name or id in the store (governance.TrustedKeys)
	Role    string // the PostgreSQL role that pushes for the site
	Label   string // the site's name in messages and policy.sites
	Replace bool   // rotate the key or role of a registered site
	Sealed  bool   // sealed or offline mode: refused
	Retry   Retry
	// Getenv, when set, reads EnvDSN for an empty DSN.
	Getenv func(string) string
}

// siteID is the form of a site id (store.Tx.SiteID).
var siteID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Registration is a site's entry in policy.site_keys.
type Registration struct {
	Server   string `json:"server"`
	Tenant   string `json:"tenant"`
	Site     string `json:"site"`
	Label    string `json:"label"`
	KeyID    string `json:"keyId"`
	Role     string `json:"role"`
	Previous string `json:"previous,omitempty"` // the key id and role it replaced
	Changed  bool   `json:"changed"`            // false: it was registered so already
}

// Register records a site's key and role in the shared database
// (docs/sync.md "Site identity"). Only the schema owner or a superuser may:
// row-level security gives other roles no way to write policy.site_keys.
// The schema is created or upgraded first. A site registered with another
// key or role is changed only with Replace; a role already registered for
// another site of the tenant is refused, so that one credential never
// speaks for two sites.
func Register(ctx context.Context, o RegisterOptions, open func() (*store.Store, error)) (*Registration, error) {
	if o.Sealed {
		return nil, sealed("sync register")
	}
	srv, err := parseDSN(dsnOr(o.DSN, o.Getenv))
	if err != nil {
		return nil, err
	}
	if o.Tenant == "" {
		o.Tenant = store.DefaultTenant
	}
	if o.Site == "" {
		st, err := open()
		if err != nil {
			return nil, err
		}
		err = st.View(ctx, func(tx *store.Tx) (err error) { o.Site, err = tx.SiteID(ctx); return err })
		st.Close()
		if err != nil {
			return nil, err
		}
	}
	if !siteID.MatchString(o.Site) {
		return nil, fail.New(fail.Invalid, "site id %q: want 32 lowercase hex characters (`stella sync postgres --dry-run --format json` shows a database's)", o.Site)
	}
	if o.Role == "" {
		return nil, fail.New(fail.Invalid, "--role: the PostgreSQL role that pushes for the site is required")
	}
	if o.KeyRef == "" {
		return nil, fail.New(fail.Invalid, "--key: the site key's public key is required")
	}
	keys, err := governance.TrustedKeys(ctx, []string{o.KeyRef}, open)
	if err != nil {
		return nil, err
	}
	key := keys[0]
	pub, err := key.PublicPEM()
	if err != nil {
		return nil, err
	}
	var reg *Registration
	err = srv.withConn(ctx, o.Retry, func(conn *pgx.Conn) (err error) {
		reg, err = register(ctx, conn, o, key, string(pub))
		return err
	})
	if err != nil {
		return nil, err
	}
	reg.Server = srv.name
	return reg, nil
}

func register(ctx context.Context, conn *pgx.Conn, o RegisterOptions, key *attest.Key, pub string) (*Registration, error) {
	v, err := schemaVersion(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := checkNotNewer(v); err != nil {
		return nil, err
	}
	if v < SchemaVersion() {
		if _, _, err := migrate(ctx, conn, SchemaVersion()); err != nil {
			return nil, err
		}
	}
	reg := &Registration{Tenant: o.Tenant, Site: o.Site, Label: o.Label, KeyID: key.ID, Role: o.Role}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var owner bool
	if err := tx.QueryRow(ctx, `SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class WHERE oid = 'policy.site_keys'::regclass`).Scan(&owner); err != nil {
		return nil, err
	}
	if !owner {
		return nil, fail.New(fail.Invalid, "only the owner of schema policy (or a superuser) registers sites; connect as it")
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, o.Role).Scan(&ok); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail.New(fail.Invalid, "--role %s: no such role in PostgreSQL (CREATE ROLE it first; docs/sync.md \"Tenants and access\")", o.Role)
	}
	var other string
	err = tx.QueryRow(ctx, `SELECT site_id FROM policy.site_keys WHERE tenant = $1 AND role_name = $2 AND site_id <> $3 LIMIT 1`,
		o.Tenant, o.Role, o.Site).Scan(&other)
	if err == nil {
		return nil, fail.New(fail.Invalid, "role %s already pushes for site %s of tenant %s: give every site its own role, so that one credential never speaks for two sites", o.Role, other, o.Tenant)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	var oldKey, oldRole, oldLabel string
	err = tx.QueryRow(ctx, `SELECT key_id, role_name, label FROM policy.site_keys WHERE tenant = $1 AND site_id = $2 FOR UPDATE`,
		o.Tenant, o.Site).Scan(&oldKey, &oldRole, &oldLabel)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return nil, err
	case oldKey == key.ID && oldRole == o.Role:
		if reg.Label == "" {
			reg.Label = oldLabel
		}
		return reg, nil // registered so already
	case !o.Replace:
		return nil, fail.New(fail.Invalid, "site %s of tenant %s is registered with key %s to role %s; give --replace to change that",
			o.Site, o.Tenant, oldKey, oldRole)
	default:
		reg.Previous = oldKey + " " + oldRole
		if _, err := tx.Exec(ctx, `INSERT INTO policy.site_keys_retired (tenant, site_id, key_id, public_pem, role_name, registered_at)
			SELECT tenant, site_id, key_id, public_pem, role_name, registered_at FROM policy.site_keys WHERE tenant = $1 AND site_id = $2`,
			o.Tenant, o.Site); err != nil {
			return nil, err
		}
	}
	if reg.Label == "" {
		reg.Label = oldLabel
	}
	_, err = tx.Exec(ctx, `INSERT INTO policy.site_keys (tenant, site_id, role_name, key_id, public_pem, label) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, site_id) DO UPDATE SET role_name = EXCLUDED.role_name, key_id = EXCLUDED.key_id,
			public_pem = EXCLUDED.public_pem, label = EXCLUDED.label, registered_by = current_user, registered_at = now()`,
		o.Tenant, o.Site, o.Role, key.ID, pub, reg.Label)
	if err != nil {
		return nil, err
	}
	reg.Changed = true
	return reg, tx.Commit(ctx)
}
