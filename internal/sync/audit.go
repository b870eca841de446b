package sync

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// AuditReport is what VerifyAudit checked: one chain per site.
type AuditReport struct {
	Server string       `json:"server"`
	Tenant string       `json:"tenant"`
	Chains []AuditChain `json:"chains"` // by site id
	// Statements is the number of governance statements whose signatures
	// verified under their public keys.
	Statements int64 `json:"statements,omitempty"`
}

// AuditChain is one site's verified audit chain.
type AuditChain struct {
	Site   string `json:"site"`
	Label  string `json:"label"` // the site's --site label; "" if it never finished a sync
	Events int64  `json:"events"`
	Head   string `json:"head"` // event hash of the last event
	// Registered sites (docs/sync.md "Site identity"): the site key, and
	// how many pushed batches verified under it.
	Key    string `json:"key,omitempty"`
	Pushes int64  `json:"pushes,omitempty"`
}

// Registered reports whether any chain is a registered site's
// (docs/sync.md "Site identity").
func (r *AuditReport) Registered() bool {
	for _, c := range r.Chains {
		if c.Key != "" {
			return true
		}
	}
	return false
}

// Events is the number of events over all chains.
func (r *AuditReport) Events() int64 {
	var n int64
	for _, c := range r.Chains {
		n += c.Events
	}
	return n
}

// VerifyAudit recomputes every audit chain of tenant stored in the
// PostgreSQL database dsn names, link by link, as `stella audit verify`
// does for the local store. The first broken link is a fail.Integrity error
// naming the site and the event.
func VerifyAudit(ctx context.Context, dsn, tenant string, r Retry) (*AuditReport, error) {
	srv, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if tenant == "" {
		tenant = store.DefaultTenant
	}
	var rep *AuditReport
	err = srv.withConn(ctx, r, func(conn *pgx.Conn) (err error) {
		rep, err = verifyAudit(ctx, conn, srv, tenant)
		return err
	})
	return rep, err
}

func verifyAudit(ctx context.Context, conn *pgx.Conn, srv *server, tenant string) (*AuditReport, error) {
	v, err := schemaVersion(ctx, conn)
	if err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, fail.New(fail.NotFound, "postgres %s has no stella schema (nothing was synced there; see `stella sync postgres`)", srv.name)
	}
	if err := checkNotNewer(v); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT e.source_site, coalesce(s.label, ''), e.seq, e.type, e.at, e.actor, e.subject, e.payload,
			e.previous_hash, e.event_hash
		FROM policy.audit_events e LEFT JOIN policy.sites s ON s.site_id = e.source_site
		WHERE e.tenant = $1 ORDER BY e.source_site, e.seq`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rep := &AuditReport{Server: srv.name, Tenant: tenant, Chains: []AuditChain{}}
	var chain *store.Chain
	var cur *AuditChain
	for rows.Next() {
		var site, label, payload string
		var e store.Event
		if err := rows.Scan(&site, &label, &e.Seq, &e.Type, &e.At, &e.Actor, &e.Subject, &payload, &e.PreviousHash, &e.EventHash); err != nil {
			return nil, err
		}
		e.Payload = json.RawMessage(payload)
		if cur == nil || cur.Site != site {
			rep.Chains = append(rep.Chains, AuditChain{Site: site, Label: label})
			cur = &rep.Chains[len(rep.Chains)-1]
			chain = store.NewChain(tenant)
		}
		if err := chain.Add(e); err != nil {
			return rep, fail.New(fail.Integrity, "postgres %s: audit chain of tenant %s, site %s: %v", srv.name, tenant, site, err)
		}
		cur.Events++
		_, cur.Head = chain.Head()
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if err := verifyStatements(ctx, conn, srv, rep); err != nil {
		return rep, err
	}
	if v < siteKeysVersion {
		return rep, nil
	}
	return rep, verifyPushes(ctx, conn, srv, rep)
}
