package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/store"
)

// siteRole creates a login role that may push tenant's rows (docs/sync.md
// "Tenants and access") and returns it with its connection string. The
// schema must exist.
func siteRole(t *testing.T, dsn, name, tenant string) (role, roleDSN string) {
	t.Helper()
	conn := pgConnect(t, dsn)
	role = strings.Trim(dbName(t, conn), "_") + "_" + name
	return role, pgRole(t, conn, dsn, role, fmt.Sprintf(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA policy TO %[1]s;
		INSERT INTO policy.tenant_grants (role_name, tenant) VALUES ('%[1]s', '%[2]s')`, role, tenant))
}

// pgRole creates login role over conn with USAGE on the policy schema, runs
// grants (SQL naming the role), drops the role when the test ends and
// returns its connection string on dsn's server.
func pgRole(t *testing.T, conn *pgx.Conn, dsn, role, grants string) string {
	t.Helper()
	if _, err := conn.Exec(context.Background(), fmt.Sprintf(`DROP ROLE IF EXISTS %[1]s; CREATE ROLE %[1]s LOGIN;
		GRANT USAGE ON SCHEMA policy TO %[1]s; `, role)+grants); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), fmt.Sprintf(`DROP OWNED BY %[1]s; DROP ROLE %[1]s`, role))
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

func siteKey(t *testing.T) *attest.Key {
	t.Helper()
	k, err := attest.Generate("")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pgState is what PostgreSQL holds of a tenant: every row of the tables a
// forged push could touch, as text, so that "unchanged" is exact.
func pgState(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	return pgDump(t, conn,
		`SELECT source_site, exception_id, status, data FROM policy.exceptions ORDER BY 1, 2`,
		`SELECT source_site, policy_id, version, state, updated_by FROM policy.policy_lifecycle ORDER BY 1, 2, 3`,
		`SELECT site_id, label FROM policy.sites ORDER BY 1`,
		`SELECT source_site, table_name, seq FROM policy.sync_cursors ORDER BY 1, 2`,
		`SELECT source_site, count(*) FROM policy.governance_statements GROUP BY 1 ORDER BY 1`,
		`SELECT source_site, count(*) FROM policy.site_pushes GROUP BY 1 ORDER BY 1`)
}

// pgDump is the rows of each query, as text.
func pgDump(t *testing.T, conn *pgx.Conn, queries ...string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range queries {
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// TestSiteIdentity: issue 20 row 4. A copy of site A's database edited to
// claim site B's id cannot overwrite B's exceptions, lifecycle states or
// label: stella refuses before sending (the key is not B's registered
// key), and PostgreSQL refuses the rows itself to any role but B's, and to
// B's role without a push signed by B's key. PostgreSQL is unchanged.
func TestSiteIdentity(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	a, b := openStore(t, pathA, "acme"), openStore(t, pathB, "acme")
	populate(t, a, "payments")
	populate(t, b, "identity")
	keyA, keyB := siteKey(t), siteKey(t)
	siteA, siteB := localSite(t, a), localSite(t, b)

	// The administrator (schema owner) registers both sites.
	reg := func(site string, k *attest.Key, role string, replace bool) (*Registration, error) {
		return Register(ctx, RegisterOptions{DSN: dsn, Tenant: "acme", Site: site, KeyRef: pubFile(t, k), Role: role, Label: "l-" + site[:4], Replace: replace},
			func() (*store.Store, error) { return nil, fmt.Errorf("no store") })
	}
	if _, err := reg(siteA, keyA, "nobody_at_all", false); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "no such role") {
		t.Fatalf("unknown role: %v", err)
	}
	roleA, dsnA := siteRole(t, dsn, "site_a", "acme")
	roleB, dsnB := siteRole(t, dsn, "site_b", "acme")
	if _, err := reg(siteA, keyA, roleA, false); err != nil {
		t.Fatal(err)
	}
	if r, err := reg(siteA, keyA, roleA, false); err != nil || r.Changed {
		t.Fatalf("registering again: %+v %v", r, err)
	}
	if _, err := reg(siteB, keyB, roleA, false); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "already pushes for site") {
		t.Fatalf("one role for two sites: %v", err)
	}
	if _, err := reg(siteB, keyB, roleB, false); err != nil {
		t.Fatal(err)
	}
	if _, err := Register(ctx, RegisterOptions{DSN: dsnA, Tenant: "acme", Site: siteA, KeyRef: pubFile(t, keyB), Role: roleA, Replace: true}, nil); !fail.Is(err, fail.Invalid) ||
		!strings.Contains(err.Error(), "only the owner") {
		t.Fatalf("a site role registering: %v", err)
	}

	// Each site pushes with its key and its role.
	if _, err := push(t, a, dsnA, Options{Key: keyA}); err != nil {
		t.Fatal(err)
	}
	rb := mustPush(t, b, dsnB, Options{Key: keyB})
	if rb.Sent() == 0 {
		t.Fatal("site B sent nothing")
	}
	conn := pgConnect(t, dsn)
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.site_pushes WHERE source_site = $1 AND key_id = $2`, siteB, keyB.ID); n == 0 {
		t.Fatal("site B's batches carry no signed push")
	}
	before := pgState(t, conn)

	// The attacker copies site A's database, claims B's id and edits a
	// governance row; they hold A's key and A's role (a tenant grant).
	a.Close()
	forged := filepath.Join(dir, "forged.db")
	data, err := os.ReadFile(pathA)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(forged, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", forged)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE sync_site SET site_id = '` + siteB + `'`, `DELETE FROM sync_cursors`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	f := openStore(t, forged, "acme")
	for _, c := range []struct {
		name string
		dsn  string
		key  *attest.Key
		want string
	}{
		{"A's key, A's role", dsnA, keyA, "but the signing key is " + keyA.ID},
		{"no key", dsnA, nil, "needs its site key"},
		{"B's key, A's role", dsnA, keyB, "this connection's role " + roleA + " is not that role"},
	} {
		_, err := push(t, f, c.dsn, Options{Key: c.key, Tables: []string{"exceptions", "policy_lifecycle"}})
		if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "claims site "+siteB) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// PostgreSQL refuses by itself, whatever client writes: A's role
	// writing B's rows, B's role without a push under B's key, and B's
	// label from A's role.
	asA, asB := pgConnect(t, dsnA), pgConnect(t, dsnB)
	for _, c := range []struct {
		conn *pgx.Conn
		sql  string
		want string
	}{
		{asA, `UPDATE policy.exceptions SET status = 'revoked' WHERE source_site = '` + siteB + `'`, "is registered to role " + roleB},
		{asA, `UPDATE policy.policy_lifecycle SET state = 'archived' WHERE source_site = '` + siteB + `'`, "may not write its rows"},
		{asA, `INSERT INTO policy.exceptions (tenant, source_site, exception_id, status, policy_id, expires, data, created_at, updated_at, expired_seq)
			SELECT tenant, source_site, 'EX-9', status, policy_id, expires, data, created_at, updated_at, expired_seq FROM policy.exceptions WHERE source_site = '` + siteA + `'`, ""},
		{asA, `UPDATE policy.sites SET label = 'mallory' WHERE site_id = '` + siteB + `'`, "may not change its label"},
		{asA, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope) VALUES ('acme', '` + siteB + `', 'exceptions', 999, '` + keyB.ID + `', '\x00')`, "may not write its rows"},
		{asB, `UPDATE policy.exceptions SET status = 'revoked' WHERE source_site = '` + siteB + `'`, "carries no push signed with it"},
		{asA, `INSERT INTO policy.runs SELECT * FROM policy.runs WHERE false`, "-"},
	} {
		_, err := c.conn.Exec(ctx, c.sql)
		if c.want == "-" {
			if err != nil {
				t.Errorf("%s: %v", c.sql, err)
			}
			continue
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != codeSiteRefused && pe.Code != codeStatementsMissing || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%s: %v, want SY00x %q", c.sql, err, c.want)
		}
	}
	if after := pgState(t, conn); after != before {
		t.Fatalf("PostgreSQL changed:\n%s\nwas\n%s", after, before)
	}
	ar, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ar.Chains {
		if want := map[string]string{siteA: keyA.ID, siteB: keyB.ID}[c.Site]; c.Key != want || c.Pushes == 0 {
			t.Errorf("chain %+v, want key %s and verified pushes", c, want)
		}
	}

	// A site nobody registered cannot join the tenant now.
	c := openStore(t, filepath.Join(dir, "c.db"), "acme")
	populate(t, c, "search")
	_, err = push(t, c, dsn, Options{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "accepts registered sites only") {
		t.Fatalf("unregistered site: %v", err)
	}

	// Key rotation needs --replace; then the new key pushes.
	keyB2 := siteKey(t)
	if _, err := reg(siteB, keyB2, roleB, false); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("rotation without --replace: %v", err)
	}
	if r, err := reg(siteB, keyB2, roleB, true); err != nil || r.Previous == "" {
		t.Fatalf("rotation: %+v %v", r, err)
	}
	recordRun(t, b, "after-rotation", 1, "x")
	if _, err := push(t, b, dsnB, Options{Key: keyB}); err == nil || !strings.Contains(err.Error(), "but the signing key is") {
		t.Fatalf("the old key after rotation: %v", err)
	}
	mustPush(t, b, dsnB, Options{Key: keyB2})
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatalf("pushes under the retired key and the new one: %v", err)
	}

	// B's stolen role writing with a push record it could not sign is
	// found by the verification of the push records.
	tx, err := asB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope)
		VALUES ('acme', $1, 'exceptions', 999999, $2, '{"payloadType":"x","payload":"eA==","signatures":[{"keyid":"k","sig":"eA=="}]}')`, siteB, keyB2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE policy.exceptions SET status = 'revoked' WHERE source_site = $1`, siteB); err == nil {
		t.Fatal("revoked without the revocation statement")
	}
	tx.Rollback(ctx)
	// … nor widen an exception's terms beyond its signed request.
	tx, err = asB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope)
		VALUES ('acme', $1, 'exceptions', 999999, $2, '\x00')`, siteB, keyB2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, `UPDATE policy.exceptions SET data = replace(data, 'pkg:npm/p1', 'pkg:*') WHERE source_site = $1`, siteB)
	if err == nil || !strings.Contains(err.Error(), "has terms its signed request statement does not hold") {
		t.Fatalf("widened terms: %v", err)
	}
	tx.Rollback(ctx)
	// … nor change who approved (the column "approvals by whom" reads).
	tx, err = asB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope)
		VALUES ('acme', $1, 'governance_statements', 999999, $2, '\x00')`, siteB, keyB2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, `UPDATE policy.governance_statements SET principal = 'dave' WHERE source_site = $1 AND action = 'policy.approved'`, siteB)
	if err == nil || !strings.Contains(err.Error(), "its columns are not what its signed envelope says") {
		t.Fatalf("edited principal: %v", err)
	}
	tx.Rollback(ctx)
	if _, err := asB.Exec(ctx, `INSERT INTO policy.site_pushes (tenant, source_site, table_name, last_seq, key_id, envelope)
		VALUES ('acme', $1, 'lessons', 999999, $2, '{"payloadType":"x","payload":"eA==","signatures":[{"keyid":"k","sig":"eA=="}]}')`, siteB, keyB2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "push of lessons up to 999999: not signed by the site's registered key") {
		t.Fatalf("a forged push record: %v", err)
	}

	// The schema owner can switch the triggers off; the audit head a push
	// signed still holds the chain's tail: B's last event deleted is found.
	if _, err := conn.Exec(ctx, `DELETE FROM policy.site_pushes WHERE last_seq = 999999;
		ALTER TABLE policy.audit_events DISABLE TRIGGER USER;
		DELETE FROM policy.audit_events WHERE (source_site, seq) = (SELECT source_site, max(seq) FROM policy.audit_events
			WHERE source_site = '`+siteB+`' GROUP BY source_site);
		ALTER TABLE policy.audit_events ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "site "+siteB+": push of audit_events") ||
		!strings.Contains(err.Error(), `; PostgreSQL holds ""`) {
		t.Fatalf("the tail of B's audit chain deleted: %v", err)
	}
	// Statement signatures are still checked by VerifyAudit.
	if _, err := conn.Exec(ctx, `
		ALTER TABLE policy.governance_statements DISABLE TRIGGER USER;
		UPDATE policy.governance_statements SET public_pem = (SELECT public_pem FROM policy.site_keys LIMIT 1) WHERE action = 'policy.approved';
		ALTER TABLE policy.governance_statements ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "(policy.approved by alice): its public key is") {
		t.Fatalf("a statement's key swapped: %v", err)
	}
}

func localSite(t *testing.T, st *store.Store) string {
	t.Helper()
	var id string
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) { id, err = tx.SiteID(context.Background()); return err }); err != nil {
		t.Fatal(err)
	}
	return id
}

// pubFile writes k's public key to a file and returns its path.
func pubFile(t *testing.T, k *attest.Key) string {
	t.Helper()
	pem, err := k.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "site.pub")
	if err := os.WriteFile(p, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
