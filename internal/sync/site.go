package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Site identity (docs/sync.md "Site identity"). A site id is only a value
// in a SQLite file: anyone who copies or edits the file can claim it. So
// the shared database holds, per tenant, the sites an administrator
// registered (policy.site_keys: site id, site key, the role that pushes
// for it), and PostgreSQL itself refuses a registered site's rows from any
// other role, or in a transaction that carries no push record under the
// site's key. stella signs every batch it pushes with the site key (a
// sync.push statement kept in policy.site_pushes), and refuses before
// sending anything when the key it holds is not the registered one.

// PushPredicateType is the in-toto predicate type of a push statement.
const PushPredicateType = "https://stella.dev/attestations/sync-push@1"

// PushPredicate is what a site signs for each batch it pushes.
type PushPredicate struct {
	Tenant     string     `json:"tenant"`
	Site       string     `json:"site"`
	Target     string     `json:"target"` // policy.meta target_id
	Table      string     `json:"table"`
	After      int64      `json:"after"` // change log range (after, last]
	Last       int64      `json:"last"`
	Rows       int        `json:"rows"`
	RowsDigest string     `json:"rowsDigest"` // sha256 of the rows as sent (JSON)
	AuditHead  *AuditHead `json:"auditHead,omitempty"`
}

// AuditHead is the last audit event of a batch of audit events.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// SQLSTATEs the shared schema raises (migrations/0005_site_keys.sql).
const (
	codeSiteRefused       = "SY001" // rows of a site by a role or key not registered for it
	codeStatementsMissing = "SY002" // governance rows without their statements
)

// checkSite compares this database's claim (its site id) with the
// registration in PostgreSQL before anything is sent.
func (p *pusher) checkSite(ctx context.Context) error {
	if p.rep.Target == "" || p.rep.SchemaBefore < siteKeysVersion && p.o.DryRun {
		return nil // nothing registered yet
	}
	var role, keyID *string
	var closed bool
	if err := p.conn.QueryRow(ctx, `SELECT role_name::text, key_id, closed FROM policy.site_key($1, $2)`, p.tenant, p.site).
		Scan(&role, &keyID, &closed); err != nil {
		return err
	}
	switch {
	case role == nil && closed:
		return fail.New(fail.Integrity, "site %s (this database) is not registered in tenant %s, which accepts registered sites only: "+
			"refusing to push; an administrator registers a site with `stella sync register` (docs/sync.md \"Site identity\")", p.site, p.tenant)
	case role == nil:
		return nil
	}
	claim := fmt.Sprintf("this database claims site %s of tenant %s, registered with key %s to role %s", p.site, p.tenant, *keyID, *role)
	if p.o.Key == nil {
		return fail.New(fail.Integrity, "%s: pushing as that site needs its site key (--sign-key); refusing to push", claim)
	}
	if p.o.Key.ID != *keyID {
		return fail.New(fail.Integrity, "%s, but the signing key is %s: refusing to push "+
			"(a copy of another site's database, or the wrong key; docs/sync.md \"Site identity\")", claim, p.o.Key.ID)
	}
	var member bool
	if err := p.conn.QueryRow(ctx, `SELECT pg_has_role(current_user, $1::name, 'MEMBER')`, *role).Scan(&member); err != nil {
		return err
	}
	if !member {
		return fail.New(fail.Integrity, "%s, but this connection's role %s is not that role: refusing to push", claim, p.srv.cfg.User)
	}
	return nil
}

// siteKeysVersion is the schema version that added site registration.
const siteKeysVersion = 5

// signPush signs the batch rows of t, change log range (after, last], and
// records the statement in policy.site_pushes within tx. Without a site
// key it does nothing (an unregistered site may push unsigned).
func (p *pusher) signPush(ctx context.Context, tx pgx.Tx, t *table, after, last int64, rows [][]any) error {
	if p.o.Key == nil {
		return nil
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	pred := PushPredicate{Tenant: p.tenant, Site: p.site, Target: p.rep.Target, Table: t.name, After: after, Last: last,
		Rows: len(rows), RowsDigest: canon.Digest(b)}
	if t.name == "audit_events" && len(rows) > 0 {
		e, err := auditEvent(rows[len(rows)-1])
		if err != nil {
			return err
		}
		pred.AuditHead = &AuditHead{Seq: e.Seq, Hash: e.EventHash}
	}
	name := fmt.Sprintf("%s/%s/%s@%d", p.tenant, p.site, t.name, last)
	eb, err := signStatement(ctx, PushPredicateType, attest.SubjectOf(name, pred.RowsDigest), pred, p.o.Key)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, source_site, table_name, last_seq) DO UPDATE
		SET key_id = EXCLUDED.key_id, envelope = EXCLUDED.envelope, pushed_by = current_user, pushed_at = now(), txid = txid_current()`,
		p.tenant, p.site, t.name, last, p.o.Key.ID, eb)
	return err
}

// signStatement signs an in-toto statement about subject with key and
// returns its DSSE envelope.
func signStatement(ctx context.Context, predicateType string, subject attest.Subject, pred any, key *attest.Key) ([]byte, error) {
	payload, err := attest.NewStatement(predicateType, []attest.Subject{subject}, pred)
	if err != nil {
		return nil, err
	}
	env, err := attest.Sign(ctx, attest.PayloadType, payload, key)
	if err != nil {
		return nil, err
	}
	return attest.MarshalEnvelope(env)
}

// openStatement opens what signStatement signs: the DSSE envelope raw
// (named what in errors) must verify under key — a failure is prefixed
// with notSigned when it is not "" —, and the predicate of its in-toto
// statement (of predicateType; "" takes any) decodes into pred.
func openStatement(ctx context.Context, what string, raw []byte, key *attest.Key, notSigned, predicateType string, pred any) error {
	env, err := attest.ParseEnvelope(what, raw)
	if err != nil {
		return err
	}
	payload, _, err := attest.Verify(ctx, env, []*attest.Key{key})
	if err != nil {
		if notSigned != "" {
			err = fmt.Errorf("%s: %w", notSigned, err)
		}
		return err
	}
	st, err := attest.ParseStatement(payload, predicateType)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(st.Predicate, pred); err != nil {
		return fmt.Errorf("predicate: %w", err)
	}
	return nil
}

// governanceTables are the tables whose rows PostgreSQL accepts only with
// the signed statements they rest on, and the columns naming the subject
// (joined by "@").
var governanceTables = map[string][]string{
	"exceptions":       {"exception_id"},
	"policy_lifecycle": {"policy_id", "version"},
}

// sendStatements sends, within tx and before the rows of a governance
// table, the governance statements those rows rest on (all statements
// about their subjects), so that PostgreSQL never holds an exception or a
// lifecycle state without them — even when --tables names only the
// governance table.
func (p *pusher) sendStatements(ctx context.Context, tx pgx.Tx, t *table, rows [][]any) error {
	cols, ok := governanceTables[t.name]
	if !ok || len(rows) == 0 {
		return nil
	}
	names := t.remoteCols()
	var subjects []string
	for _, r := range rows {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprint(r[slices.Index(names, c)])
		}
		if s := strings.Join(parts, "@"); !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	var srows [][]any
	err := p.st.View(ctx, func(ltx *store.Tx) error {
		for _, s := range subjects {
			ss, err := ltx.Statements(ctx, store.StatementFilter{Subject: s})
			if err != nil {
				return err
			}
			for _, st := range ss {
				srows = append(srows, []any{p.tenant, st.Digest, st.Seq, st.Action, st.Subject, st.KeyID, st.Principal,
					st.PublicPEM, st.Envelope, p.site})
			}
		}
		return nil
	})
	if err != nil || len(srows) == 0 {
		return err
	}
	_, _, err = p.upsert(ctx, tx, tableNamed("governance_statements"), srows)
	return err
}

// verifyPushes checks, for every registered site of the tenant, each push
// recorded since its registration against the key it was registered with
// then: the envelope verifies, its
// statement is about this tenant, site, table and range, and a pushed
// audit head is the event PostgreSQL holds at that position. The first
// failure is a fail.Integrity error naming site and record.
func verifyPushes(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport) error {
	rows, err := conn.Query(ctx, `SELECT p.source_site, p.table_name, p.last_seq, p.key_id, p.envelope,
			coalesce(k.public_pem, r.public_pem), k.key_id IS NULL
		FROM policy.site_pushes p
		LEFT JOIN policy.site_keys k ON k.tenant = p.tenant AND k.site_id = p.source_site AND k.key_id = p.key_id
		LEFT JOIN LATERAL (SELECT r.public_pem FROM policy.site_keys_retired r WHERE r.tenant = p.tenant AND r.site_id = p.source_site
			AND r.key_id = p.key_id AND r.retired_at >= p.pushed_at LIMIT 1) r ON true
		WHERE p.tenant = $1 AND p.pushed_at >= (SELECT min(x.registered_at) FROM (
			SELECT registered_at FROM policy.site_keys WHERE tenant = p.tenant AND site_id = p.source_site
			UNION ALL SELECT registered_at FROM policy.site_keys_retired WHERE tenant = p.tenant AND site_id = p.source_site) x)
		ORDER BY p.source_site, p.table_name, p.last_seq`, rep.Tenant)
	if err != nil {
		return err
	}
	type push struct {
		site, table, keyID string
		last               int64
		env                []byte
		pem                *string
		retired            bool
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (push, error) {
		var p push
		return p, r.Scan(&p.site, &p.table, &p.last, &p.keyID, &p.env, &p.pem, &p.retired)
	})
	if err != nil {
		return err
	}
	bad := func(p push, format string, args ...any) error {
		return fail.New(fail.Integrity, "postgres %s: site %s: push of %s up to %d: %s", srv.name, p.site, p.table, p.last, fmt.Sprintf(format, args...))
	}
	// The audit heads the pushes signed, checked against PostgreSQL in
	// one query once every signature holds.
	var headed []push
	var heads []*AuditHead
	for _, p := range ps {
		if p.pem == nil {
			return bad(p, "names key %s, which is neither the site's registered key nor one it had when the push was recorded", p.keyID)
		}
		key, err := attest.ParsePEM("site key of "+p.site, []byte(*p.pem))
		if err != nil {
			return bad(p, "registered key: %v", err)
		}
		c := rep.chain(p.site)
		if c == nil {
			c = &AuditChain{} // none of its audit events pushed yet: verified, not reported
		}
		if !p.retired {
			c.Key = key.ID
		}
		var pred PushPredicate
		if err := openStatement(ctx, "push", p.env, key, "not signed by the site's registered key "+key.ID, PushPredicateType, &pred); err != nil {
			return bad(p, "%v", err)
		}
		if pred.Tenant != rep.Tenant || pred.Site != p.site || pred.Table != p.table || pred.Last != p.last {
			return bad(p, "the signed statement is about %s/%s/%s@%d", pred.Tenant, pred.Site, pred.Table, pred.Last)
		}
		if pred.AuditHead != nil {
			headed, heads = append(headed, p), append(heads, pred.AuditHead)
		}
		c.Pushes++
	}
	if len(heads) == 0 {
		return nil
	}
	sites, seqs := make([]string, len(heads)), make([]int64, len(heads))
	for i, h := range heads {
		sites[i], seqs[i] = headed[i].site, h.Seq
	}
	rows, err = conn.Query(ctx, `SELECT coalesce(e.event_hash, '')
		FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS h(site, seq, n)
		LEFT JOIN policy.audit_events e ON e.tenant = $1 AND e.source_site = h.site AND e.seq = h.seq
		ORDER BY h.n`, rep.Tenant, sites, seqs)
	if err != nil {
		return err
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for i, h := range heads {
		if held[i] != h.Hash {
			return bad(headed[i], "the site signed audit event %d as %s; PostgreSQL holds %q", h.Seq, h.Hash, held[i])
		}
	}
	return nil
}
