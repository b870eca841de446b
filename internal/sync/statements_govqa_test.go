package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// TestAuditVerifyStatementRows: PostgreSQL answers "approvals of P-1@1, by
// whom" from the columns of policy.governance_statements; a trigger checks
// them on every write, but the schema owner can disable it. `audit verify
// --dsn` checks them again: the columns must be what the envelope signs,
// and each statement must be the one the audit event of its site's
// verified chain at its seq recorded (docs/sync.md "What audit verify
// checks") — a statement the owner signed with a key of its own and filed
// under an event is not an approval of that site.
func TestAuditVerifyStatementRows(t *testing.T) {
	ctx := context.Background()
	dsn, conn, rep := verifiedSite(t, Options{})
	ownerEdits(t, dsn, conn, "governance_statements", []ownerEdit{
		{"approver renamed", `UPDATE policy.governance_statements SET principal = 'dave' WHERE action = 'policy.approved'`,
			"(policy.approved by dave): its principal column is dave, but the envelope signs alice"},
		{"action changed", `UPDATE policy.governance_statements SET action = 'exception.approved' WHERE action = 'exception.requested'`,
			"(exception.approved by payments): its action column is exception.approved, but the envelope signs exception.requested"},
		{"subject changed", `UPDATE policy.governance_statements SET subject = 'P-1@9' WHERE action = 'policy.approved'`,
			"its subject column is P-1@9, but audit event"},
		{"digest changed", `UPDATE policy.governance_statements SET digest = 'sha256:` + strings.Repeat("0", 64) + `' WHERE action = 'policy.approved'`,
			"its digest column is not the sha256 of its envelope"},
		{"filed under another event", `UPDATE policy.governance_statements SET seq = seq + 1 WHERE action = 'policy.approved'`,
			"is not the statement audit event"},
	})

	// A statement deleted (a request for changes, say; here the approval): dashboards would
	// no longer see it; its event still names it.
	asOwner(t, conn, "governance_statements", `DELETE FROM policy.governance_statements WHERE action = 'policy.approved'`)
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); !fail.Is(err, fail.Integrity) ||
		!strings.Contains(err.Error(), "(policy.approved of P-1@1) recorded statement sha256:") || !strings.Contains(err.Error(), "which policy.governance_statements no longer holds") {
		t.Fatalf("a statement deleted: %v", err)
	}
	restoreTable(t, conn, "governance_statements")

	// A statement the owner signed itself, with columns that agree with
	// it, filed under the site's approval event in place of the real one.
	s := statement(t, 0, "policy.approved", "mallory", "P-1@1", nil)
	asOwner(t, conn, "governance_statements", `UPDATE policy.governance_statements SET digest = $1, key_id = $2, principal = 'mallory', public_pem = $3, envelope = $4 WHERE action = 'policy.approved'`,
		canon.Digest(s.Envelope), s.KeyID, s.PublicPEM, s.Envelope)
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "site "+rep.Site+": statement "+canon.Digest(s.Envelope)) ||
		!strings.Contains(err.Error(), "is not the statement audit event") {
		t.Fatalf("a statement of the owner's: %v", err)
	}
}
