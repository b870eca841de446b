package sync

import "testing"

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
