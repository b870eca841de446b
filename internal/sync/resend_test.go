package sync

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/store"
)

// TestResendDeletedRows: a governance statement, an exception or a
// lifecycle state the schema owner deleted in PostgreSQL comes back with
// the next sync of the site that sent it (docs/sync.md "Rows deleted in
// PostgreSQL"), as it was, signed like any batch of a registered site, and
// the sync says so; a row the owner changed is left as it is and stays
// what audit verify reports.
func TestResendDeletedRows(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	key, site := siteKey(t), localSite(t, st)
	mustPush(t, st, dsn, Options{})
	role, roleDSN := siteRole(t, dsn, "resend", "acme")
	if _, err := Register(ctx, RegisterOptions{DSN: dsn, Tenant: "acme", Site: site, KeyRef: pubFile(t, key), Role: role, Label: "r"},
		func() (*store.Store, error) { return nil, fmt.Errorf("no store") }); err != nil {
		t.Fatal(err)
	}
	conn := pgConnect(t, dsn)
	verify := func() error {
		t.Helper()
		_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
		return err
	}
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		return pgDump(t, conn,
			`SELECT source_site, digest, seq, action, subject, key_id, principal, public_pem, envelope FROM policy.governance_statements ORDER BY 1, 2`,
			`SELECT source_site, exception_id, status, policy_id, expires, data, created_at, updated_at, expired_seq FROM policy.exceptions ORDER BY 1, 2`,
			`SELECT source_site, policy_id, version, state, reviewers, updated_at, updated_by FROM policy.policy_lifecycle ORDER BY 1, 2, 3`)
	}
	before := state()
	sync := func(want map[string]int64) *Report {
		t.Helper()
		rep := mustPush(t, st, roleDSN, Options{Key: key})
		for _, name := range resendable {
			n := tableReport(t, rep, name).Resent
			if n != want[name] {
				t.Errorf("%s: resent %d rows, want %d (warnings %q)", name, n, want[name], rep.Warnings)
			}
			said := strings.Contains(strings.Join(rep.Warnings, "\n"), name+": PostgreSQL no longer holds")
			if said != (n > 0) {
				t.Errorf("%s: resent %d rows; warnings %q", name, n, rep.Warnings)
			}
		}
		return rep
	}

	// One row of each kind deleted. The lifecycle state comes back with
	// the approval it rests on (statements ride with it), the exception
	// row on its own.
	asOwner(t, conn, "governance_statements", `DELETE FROM policy.governance_statements WHERE action = 'policy.approved'`)
	asOwner(t, conn, "exceptions", `DELETE FROM policy.exceptions`)
	asOwner(t, conn, "policy_lifecycle", `DELETE FROM policy.policy_lifecycle`)
	wantIntegrity(t, verify(), "which policy.governance_statements no longer holds")
	rep := sync(map[string]int64{"policy_lifecycle": 1, "exceptions": 1})
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "exceptions: PostgreSQL no longer holds 1 row this site sent there (EX-1; deleted there); sent 1 again") {
		t.Errorf("warnings: %q", rep.Warnings)
	}
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != before {
		t.Fatalf("PostgreSQL after the resend:\n%s\nwant:\n%s", got, before)
	}

	// A statement deleted on its own.
	asOwner(t, conn, "governance_statements", `DELETE FROM policy.governance_statements WHERE action = 'exception.requested'`)
	sync(map[string]int64{"governance_statements": 1})
	if got := state(); got != before {
		t.Fatalf("PostgreSQL after the resend:\n%s\nwant:\n%s", got, before)
	}

	// From PostgreSQL alone an exception row or a lifecycle row deleted
	// is not seen; against the database that sent them it is.
	asOwner(t, conn, "exceptions", `DELETE FROM policy.exceptions`)
	asOwner(t, conn, "policy_lifecycle", `DELETE FROM policy.policy_lifecycle`)
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
	wantIntegrity(t, err, "site "+site+": PostgreSQL no longer holds rows this database sent there: exceptions EX-1; policy_lifecycle P-1/1 (deleted there;")
	sync(map[string]int64{"policy_lifecycle": 1, "exceptions": 1})
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st}); err != nil {
		t.Fatal(err)
	}

	// A row changed is not overwritten (audit verify still says so); a
	// row deleted beside it still comes back.
	asOwner(t, conn, "exceptions", `UPDATE policy.exceptions SET status = 'approved'`)
	asOwner(t, conn, "governance_statements", `DELETE FROM policy.governance_statements WHERE action = 'policy.approved'`)
	sync(map[string]int64{"governance_statements": 1})
	wantIntegrity(t, verify(), "exception EX-1 (status approved): its status column is approved, but its data says requested")
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.exceptions WHERE status = 'approved'`); n != 1 {
		t.Fatalf("the changed exception row was overwritten")
	}
	asOwner(t, conn, "exceptions", `UPDATE policy.exceptions SET status = 'requested'`)
	if err := verify(); err != nil {
		t.Fatal(err)
	}

	// Nothing missing: nothing resent, no push recorded for it.
	pushes := pgCount(t, conn, `SELECT count(*) FROM policy.site_pushes`)
	if rep := sync(nil); rep.Sent() != 0 || len(rep.Warnings) != 0 {
		t.Fatalf("a sync with nothing missing: sent %d, warnings %q", rep.Sent(), rep.Warnings)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.site_pushes`); n != pushes {
		t.Fatalf("site_pushes %d → %d", pushes, n)
	}

	// A dry run says what a sync would send again, and sends nothing.
	asOwner(t, conn, "exceptions", `DELETE FROM policy.exceptions`)
	dry := mustPush(t, st, roleDSN, Options{Key: key, DryRun: true})
	if w := strings.Join(dry.Warnings, "\n"); !strings.Contains(w, "exceptions: PostgreSQL no longer holds 1 row") || !strings.Contains(w, "a sync would send them again") {
		t.Fatalf("dry run warnings: %q", dry.Warnings)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.exceptions`); n != 0 {
		t.Fatalf("a dry run wrote %d exception rows", n)
	}
}
