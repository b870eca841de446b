package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// AuditReport is what VerifyAudit checked: one chain per site.
type AuditReport struct {
	Server string       `json:"server"`
	Tenant string       `json:"tenant"`
	Chains []AuditChain `json:"chains"` // by site id
	// Statements is the number of governance statements whose signatures
	// verified under their public keys.
	Statements int64 `json:"statements,omitempty"`
	// Runs and Findings are the synced rows whose columns were recomputed
	// from the records and findings data they derive from; Differ counts
	// the values that differ, Mismatches lists them (the first 200): the
	// runs' columns and records by run id, then the findings' columns by
	// run and finding id, then each run's findings against its record,
	// then the runs the chains recorded that are missing (docs/sync.md
	// "What audit verify checks").
	Runs       int64      `json:"runs"`
	Findings   int64      `json:"findings"`
	Differ     int        `json:"differ"`
	Mismatches []Mismatch `json:"mismatches"`
	// Tail is the check of the end of the local site's chain and runs
	// against what the local database sent (checkTail); Tail.Reason says
	// why it was not made.
	Tail *TailCheck `json:"tail"`
	// Checkpoints is what the sync checkpoints showed (verifyCheckpoints).
	Checkpoints *CheckpointCheck `json:"checkpoints"`
}

// AuditOptions are what VerifyAudit checks beyond PostgreSQL itself.
type AuditOptions struct {
	// Local is the database of a site that synced there, opened on the
	// tenant verified (checkTail); nil when none is at hand.
	Local *store.Store
	CheckpointOptions
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

// Lists reports whether r lists what failed — values that differ, a
// chain cut at its end — so that it is shown with the error.
func (r *AuditReport) Lists() bool {
	return r != nil && (r.Differ > 0 || r.Tail.Cut())
}

// chain returns site's verified chain (nil: none of its events is in
// PostgreSQL).
func (r *AuditReport) chain(site string) *AuditChain {
	for i := range r.Chains {
		if r.Chains[i].Site == site {
			return &r.Chains[i]
		}
	}
	return nil
}

// held returns the seq of the last event of site's verified chain (0:
// none), the end of what the checks of its rows can rest on.
func (r *AuditReport) held(site string) int64 {
	if c := r.chain(site); c != nil {
		return c.Events
	}
	return 0
}

// Events is the number of events over all chains.
func (r *AuditReport) Events() int64 {
	var n int64
	for _, c := range r.Chains {
		n += c.Events
	}
	return n
}

// noLocal is what a verification without the syncing site's database
// could not check (docs/sync.md "A chain cut at its end").
const noLocal = "no local database that synced here (--db): events and runs deleted from the end of a chain, " +
	"leaving a shorter chain that verifies, cannot be detected from PostgreSQL alone"

// VerifyAudit recomputes every audit chain of tenant stored in the
// PostgreSQL database dsn names, link by link, as `stella audit verify`
// does for the local store, then every summary column of the synced runs
// and findings from the signed content they derive from (verifyRows). The
// first broken link is a fail.Integrity error naming the site and the
// event; values that differ are a fail.Integrity error too, with the
// report listing each (table, row, column, expected, got). Then the sync
// checkpoints (verifyCheckpoints) and, with o.Local, the database of a site
// that synced there (opened on tenant), that PostgreSQL still holds what
// that site sent (checkTail); the report says what could not be checked.
func VerifyAudit(ctx context.Context, dsn, tenant string, r Retry, o AuditOptions) (*AuditReport, error) {
	srv, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if tenant == "" {
		tenant = store.DefaultTenant
	}
	var rep *AuditReport
	err = srv.withConn(ctx, r, func(conn *pgx.Conn) (err error) {
		rep, err = verifyAudit(ctx, conn, srv, tenant, o)
		return err
	})
	return rep, err
}

func verifyAudit(ctx context.Context, conn *pgx.Conn, srv *server, tenant string, o AuditOptions) (*AuditReport, error) {
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
	rep := &AuditReport{Server: srv.name, Tenant: tenant, Chains: []AuditChain{}, Mismatches: []Mismatch{}}
	sc := &statementCheck{recorded: map[siteSeq]recordedStatement{}}
	lc := &lifecycleCheck{}
	rc := &rowCheck{rep: rep, events: map[string][]store.RunEvent{}, pruned: map[string]int64{}}
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
		rc.event(site, e)
		sc.add(site, e)
		lc.add(site, e)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if err := verifyStatements(ctx, conn, srv, rep, sc); err != nil {
		return rep, err
	}
	if err := verifyLifecycles(ctx, conn, srv, rep, lc); err != nil {
		return rep, err
	}
	if err := verifyExceptions(ctx, conn, srv, tenant, sc); err != nil {
		return rep, err
	}
	if err := verifyVersions(ctx, conn, srv, tenant, sc); err != nil {
		return rep, err
	}
	if v >= siteKeysVersion {
		if err := verifyPushes(ctx, conn, srv, rep); err != nil {
			return rep, err
		}
	}
	if err := verifyRows(ctx, conn, tenant, v, rc); err != nil {
		return rep, err
	}
	if err := verifyCheckpoints(ctx, conn, srv, rep, v, o.CheckpointOptions); err != nil {
		return rep, err
	}
	// What differs and what the syncing database finds cut or missing are
	// found apart; the error names each (exit 6 either way).
	var found []string
	if rep.Differ > 0 {
		m := rep.Mismatches[0]
		found = append(found, fmt.Sprintf("postgres %s, tenant %s: %s not what the signed records say (first: %s %s, %s: expected %s, got %s)",
			srv.name, tenant, text.Count(rep.Differ, "synced value is", "synced values are"), m.Table, m.Row, m.Column, m.Expected, m.Got))
	}
	if o.Local == nil {
		rep.Tail = &TailCheck{MissingRuns: []string{}, Reason: noLocal}
	} else {
		// A chain cut at its end and rows deleted are found apart too.
		for _, check := range []func(context.Context, *pgx.Conn, *server, *AuditReport, *store.Store) error{checkTail, checkSent} {
			err := check(ctx, conn, srv, rep, o.Local)
			if err != nil && !fail.Is(err, fail.Integrity) {
				return rep, err
			}
			if err != nil {
				found = append(found, err.Error())
			}
		}
	}
	if len(found) > 0 {
		return rep, fail.New(fail.Integrity, "%s", strings.Join(found, "; "))
	}
	return rep, nil
}
