package sync

import (
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/pgtest"
)

// TestAuditVerifyDifferAndMissing: with a synced value changed and a row
// this database sent deleted, audit verify --db names both (exit 6), not
// only the missing row (docs/sync.md "Rows deleted in PostgreSQL").
func TestAuditVerifyDifferAndMissing(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	conn := pgConnect(t, dsn)
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st}); err != nil {
		t.Fatal(err)
	}
	asOwner(t, conn, "runs", `UPDATE policy.runs SET unchecked = 9 WHERE tenant = 'acme'`)
	asOwner(t, conn, "exceptions", `DELETE FROM policy.exceptions`)
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{Local: st})
	wantIntegrity(t, err, "synced values are not what the signed records say (first: policy.runs ")
	wantIntegrity(t, err, "PostgreSQL no longer holds rows this database sent there: exceptions EX-1")
}
