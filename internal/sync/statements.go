package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

// siteSeq names one audit event: its site's chain and its seq there.
type siteSeq struct {
	site string
	seq  int64
}

// recordedStatement is what an audit event of a verified chain says of the
// governance statement it recorded (its payload's statement digest).
type recordedStatement struct {
	typ, subject, digest string
}

// statementCheck collects, from the verified chains, the statements their
// events recorded.
type statementCheck struct {
	recorded map[siteSeq]recordedStatement
	order    []siteSeq // the events that recorded a statement, in chain order
	// exceptions holds the predicates of the verified exception.*
	// statements, by site and exception id.
	exceptions map[siteSubject][]governance.Predicate
	// irDigests holds, by site and policy version (P-n@v), the IR digest
	// its verified statements sign, and the first such statement.
	irDigests map[siteSubject]signedIR
}

// signedIR is the IR digest a statement about a policy version signs.
type signedIR struct{ digest, action, statement string }

// siteSubject names what a site's statements are about.
type siteSubject struct{ site, subject string }

// add notes event e of site's verified chain.
func (c *statementCheck) add(site string, e store.Event) {
	if !bytes.Contains(e.Payload, []byte(`"statement"`)) {
		return
	}
	var p struct {
		Statement string `json:"statement"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Statement == "" {
		return
	}
	k := siteSeq{site, e.Seq}
	c.recorded[k] = recordedStatement{typ: e.Type, subject: e.Subject, digest: p.Statement}
	c.order = append(c.order, k)
}

// verifyStatements checks every governance statement of the tenant in
// PostgreSQL (docs/sync.md "What audit verify checks"): its public key
// hashes to its key id and its envelope is signed by that key; its digest,
// action and principal columns are what the envelope says (PostgreSQL
// checks them on every write, migrations/0007_statement_columns.sql, but
// its owner can disable the trigger); and it is the statement the audit
// event of its site's verified chain at its seq recorded, for the same
// subject — a statement signed by a key of the writer's own and filed
// under an event is not that site's. Every statement a verified chain
// recorded must be a row, for sites that synced statements (a cursor of
// governance_statements in policy.sync_cursors). So "approvals by whom"
// read from PostgreSQL rests on signatures and on the chain. Whether the
// key was trusted for the action is the site's trust config's question
// (`stella audit verify` there).
func verifyStatements(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport, sc *statementCheck) error {
	rows, err := conn.Query(ctx, `SELECT source_site, seq, digest, action, subject, principal, key_id, public_pem, envelope
		FROM policy.governance_statements WHERE tenant = $1 ORDER BY source_site, seq, digest`, rep.Tenant)
	if err != nil {
		return err
	}
	defer rows.Close()
	held := map[siteSeq]bool{}
	for rows.Next() {
		var site, digest, action, subject, principal, keyID, pem string
		var seq int64
		var env []byte
		if err := rows.Scan(&site, &seq, &digest, &action, &subject, &principal, &keyID, &pem, &env); err != nil {
			return err
		}
		bad := func(format string, args ...any) error {
			return fail.New(fail.Integrity, "postgres %s: site %s: statement %s (%s by %s): %s", srv.name, site, digest, action, principal, fmt.Sprintf(format, args...))
		}
		if d := canon.Digest(env); d != digest {
			return bad("its digest column is not the sha256 of its envelope (%s)", d)
		}
		key, err := attest.ParsePEM("public key", []byte(pem))
		if err != nil {
			return bad("%v", err)
		}
		if key.ID != keyID {
			return bad("its public key is %s, not %s", key.ID, keyID)
		}
		var p governance.Predicate
		if err := openStatement(ctx, "envelope", env, key, "", "", &p); err != nil {
			return bad("%v", err)
		}
		switch {
		case p.Action != action:
			return bad("its action column is %s, but the envelope signs %s", action, p.Action)
		case p.Actor.Principal != principal:
			return bad("its principal column is %s, but the envelope signs %s", principal, p.Actor.Principal)
		}
		if p.Policy != nil && p.Policy.IRDigest != "" {
			x := siteSubject{site, subject}
			if sc.irDigests == nil {
				sc.irDigests = map[siteSubject]signedIR{}
			}
			if prev, ok := sc.irDigests[x]; ok && prev.digest != p.Policy.IRDigest {
				return bad("it signs IR %s for %s, but statement %s (%s) signs IR %s", p.Policy.IRDigest, subject, prev.statement, prev.action, prev.digest)
			}
			sc.irDigests[x] = signedIR{p.Policy.IRDigest, action, digest}
		}
		if strings.HasPrefix(action, "exception.") {
			if sc.exceptions == nil {
				sc.exceptions = map[siteSubject][]governance.Predicate{}
			}
			x := siteSubject{site, subject}
			sc.exceptions[x] = append(sc.exceptions[x], p)
		}
		k := siteSeq{site, seq}
		if seq <= rep.held(site) { // beyond the chain: its event is not synced yet
			r, ok := sc.recorded[k]
			switch {
			case !ok || r.digest != digest:
				return bad("it is not the statement audit event %d of the site's verified chain recorded (%s)", seq, recordedWhat(r.digest))
			case r.subject != subject:
				return bad("its subject column is %s, but audit event %d (%s) recorded it for %s", subject, seq, r.typ, r.subject)
			}
		}
		held[k] = true
		rep.Statements++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return missingStatements(ctx, conn, srv, rep.Tenant, sc, held)
}

// missingStatements fails on the first statement a verified chain recorded
// that policy.governance_statements no longer holds, for the sites that
// synced statements.
func missingStatements(ctx context.Context, conn *pgx.Conn, srv *server, tenant string, sc *statementCheck, held map[siteSeq]bool) error {
	synced, err := syncedSites(ctx, conn, tenant, "governance_statements")
	if err != nil {
		return err
	}
	for _, k := range sc.order {
		if held[k] || !slices.Contains(synced, k.site) {
			continue
		}
		r := sc.recorded[k]
		return fail.New(fail.Integrity, "postgres %s: site %s: audit event %d (%s of %s) recorded statement %s, which policy.governance_statements no longer holds (deleted?)",
			srv.name, k.site, k.seq, r.typ, r.subject, r.digest)
	}
	return nil
}

// syncedSites returns the sites of tenant that have synced table (a cursor
// of it in policy.sync_cursors).
func syncedSites(ctx context.Context, conn *pgx.Conn, tenant, table string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT source_site FROM policy.sync_cursors WHERE tenant = $1 AND table_name = $2 AND seq > 0`, tenant, table)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func recordedWhat(digest string) string {
	if digest == "" {
		return "it records none"
	}
	return "it recorded " + digest
}
