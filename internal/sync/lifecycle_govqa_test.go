package sync

import "testing"

// TestAuditVerifyLifecycleRows: "which version is active where" is read
// from policy.policy_lifecycle (the policy_state view). A trigger checks a
// row's statements on every write, but the schema owner can disable it;
// `audit verify --dsn` checks each row against the verified chain of its
// site as the local store does (docs/governance.md "Threat model"): the
// event it names must be a transition of that version ending in its state,
// and no later transition of the version may exist.
func TestAuditVerifyLifecycleRows(t *testing.T) {
	dsn, conn, _ := verifiedSite(t, Options{})
	ownerEdits(t, dsn, conn, "policy_lifecycle", []ownerEdit{
		{"made active", `UPDATE policy.policy_lifecycle SET state = 'active'`,
			"P-1@1: lifecycle state active is not what audit event"},
		{"named another event", `UPDATE policy.policy_lifecycle SET updated_by = updated_by + 1`,
			"P-1@1: lifecycle state approved is not what audit event"},
		{"no event", `UPDATE policy.policy_lifecycle SET updated_by = 0`,
			"P-1@1: lifecycle state approved names no audit event"},
	})
}
