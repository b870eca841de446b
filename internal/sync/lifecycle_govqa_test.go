package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
)

// TestAuditVerifyLifecycleRows: "which version is active where" is read
// from policy.policy_lifecycle (the policy_state view). A trigger checks a
// row's statements on every write, but the schema owner can disable it;
// `audit verify --dsn` checks each row against the verified chain of its
// site as the local store does (docs/governance.md "Threat model"): the
// event it names must be a transition of that version ending in its state,
// and no later transition of the version may exist.
func TestAuditVerifyLifecycleRows(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	mustPush(t, st, dsn, Options{})
	conn := pgConnect(t, dsn)
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
	saveTables(t, conn, "policy_lifecycle")
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"made active", `UPDATE policy.policy_lifecycle SET state = 'active'`,
			"P-1@1: lifecycle state active is not what audit event"},
		{"named another event", `UPDATE policy.policy_lifecycle SET updated_by = updated_by + 1`,
			"P-1@1: lifecycle state approved is not what audit event"},
		{"no event", `UPDATE policy.policy_lifecycle SET updated_by = 0`,
			"P-1@1: lifecycle state approved names no audit event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustExec(t, conn, `ALTER TABLE policy.policy_lifecycle DISABLE TRIGGER USER; `+tc.sql+`; ALTER TABLE policy.policy_lifecycle ENABLE TRIGGER USER`)
			defer mustExec(t, conn, `ALTER TABLE policy.policy_lifecycle DISABLE TRIGGER USER; DELETE FROM policy.policy_lifecycle;
				INSERT INTO policy.policy_lifecycle SELECT * FROM policy.saved_policy_lifecycle; ALTER TABLE policy.policy_lifecycle ENABLE TRIGGER USER`)
			_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{})
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an integrity failure saying %q, got %v", tc.want, err)
			}
		})
	}
}
