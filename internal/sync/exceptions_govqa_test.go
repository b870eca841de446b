package sync

import (
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/store"
)

// TestAuditVerifyExceptionRows: "which waivers are in force, until when"
// is read from policy.exceptions (status and expires are indexed for it).
// A trigger checks a row's terms against its signed request on every
// write, but not its status and expires columns against its data, and the
// schema owner can disable it; `audit verify --dsn` checks them all
// (docs/sync.md "What audit verify checks").
func TestAuditVerifyExceptionRows(t *testing.T) {
	dsn, conn, _ := verifiedSite(t, Options{})
	ownerEdits(t, dsn, conn, "exceptions", []ownerEdit{
		{"status column", `UPDATE policy.exceptions SET status = 'approved'`,
			"exception EX-1 (status approved): its status column is approved, but its data says requested"},
		{"expiry extended", `UPDATE policy.exceptions SET expires = '2099-01-01T00:00:00Z'`,
			"exception EX-1 (status requested): its expires column is 2099-01-01T00:00:00Z, but its data says 2026-04-01T00:00:00Z"},
		{"terms widened", `UPDATE policy.exceptions SET data = replace(data, '"pkg:npm/p1"', '"pkg:npm/*"')`,
			"exception EX-1 (status requested): has terms its signed request statement does not hold"},
		{"approved without an approval", `UPDATE policy.exceptions SET status = 'approved', data = replace(data, '"status":"requested"', '"status":"approved"')`,
			"exception EX-1 (status approved): comes without the signed exception.approved statement of its status"},
	})
}

// TestAuditVerifyApprovalTerms: an approved exception row in PostgreSQL
// must rest on an approval of its own terms (governance.TermsDigest), not
// on any exception.approved statement about its id. Two requests of EX-1,
// each recorded by the site's chain, let the trigger take a row with the
// second one's wider terms and the approval of the first: `audit verify
// --dsn` names the terms the approval signs. Terms edited in an approved
// row are reported too.
func TestAuditVerifyApprovalTerms(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	var asked model.Exception
	approve := func(terms *model.Exception, row model.Exception) {
		t.Helper()
		err := st.Update(ctx, func(tx *store.Tx) error {
			if _, err := putStatement(ctx, t, tx, "exception.approved", "carol", "EX-1", terms); err != nil {
				return err
			}
			row.Status, row.Approvers = "approved", []string{"carol"}
			return tx.PutException(ctx, &store.ExceptionRow{Exception: row})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.View(ctx, func(tx *store.Tx) error {
		ex, err := tx.Exception(ctx, "EX-1")
		asked = ex.Exception
		return err
	}); err != nil {
		t.Fatal(err)
	}
	approve(&asked, asked)
	mustPush(t, st, dsn, Options{})
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
	conn := pgConnect(t, dsn)
	ownerEdits(t, dsn, conn, "exceptions", []ownerEdit{
		{"approved terms widened", `UPDATE policy.exceptions SET data = replace(data, '"pkg:npm/p1"', '"pkg:npm/*"')`,
			"exception EX-1 (status approved): has terms its signed request statement does not hold"},
		{"a key added", `UPDATE policy.exceptions SET data = replace(data, '{"approvers"', '{"Purls":["pkg:npm/*"],"approvers"')`,
			"exception EX-1 (status approved): has terms its signed request statement does not hold"},
	})

	wide := asked
	wide.Purls = []string{"pkg:npm/*"}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		_, err := putStatement(ctx, t, tx, "exception.requested", "payments", "EX-1", &wide)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	approve(&asked, wide)
	mustPush(t, st, dsn, Options{})
	a, _ := governance.TermsDigest(asked)
	w, _ := governance.TermsDigest(wide)
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	wantIntegrity(t, err, "exception EX-1 (status approved): its signed exception.approved statement is over terms "+a+", not its own ("+w+")")
}
