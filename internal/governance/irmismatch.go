package governance

import (
	"context"
	"fmt"

	"github.com/stella-policy/stella/internal/store"
)

// EventIRHashMismatch is the audit event recorded whenever a policy IR
// fails its digest (docs/governance.md, "IR digests").
const EventIRHashMismatch = "policy.ir_hash_mismatch"

// Why an IR failed its digest.
const (
	// IRStored: the stored IR's bytes do not hash to the registered digest.
	IRStored = "stored-ir"
	// IRFromSource: the stored source compiles to another IR.
	IRFromSource = "source"
	// IRExpected: the IR is not the one --expect-ir-digest pinned.
	IRExpected = "expected-digest"
)

// IRMismatch is a policy IR that fails its digest; it is also the payload
// of the policy.ir_hash_mismatch event. Errors carrying it are
// fail.Integrity (exit 6).
type IRMismatch struct {
	PolicyID string `json:"policyId"`
	Version  int    `json:"version,omitempty"` // 0 for a policy file
	Want     string `json:"expectedIrDigest"`
	Got      string `json:"irDigest"`
	Reason   string `json:"reason"` // IRStored, IRFromSource or IRExpected
}

func (e *IRMismatch) ref() string {
	if e.Version > 0 {
		return fmt.Sprintf("%s@%d", e.PolicyID, e.Version)
	}
	return e.PolicyID
}

func (e *IRMismatch) Error() string {
	switch e.Reason {
	case IRStored:
		return fmt.Sprintf("policy_ir_hash_mismatch: the stored IR of %s hashes to %s, not its registered digest %s: the database was changed or damaged (stella store check)", e.ref(), e.Got, e.Want)
	case IRFromSource:
		return fmt.Sprintf("policy_ir_hash_mismatch: the source of %s compiles to %s but its registered IR is %s (registered by another stella version? register it again with `stella policy new`)", e.ref(), e.Got, e.Want)
	}
	return fmt.Sprintf("policy_ir_hash_mismatch: %s has IR %s, not the expected %s (--expect-ir-digest)", e.ref(), e.Got, e.Want)
}

// RecordIRMismatch appends the policy.ir_hash_mismatch event for m in its
// own transaction: the command that found it fails and changes nothing
// else.
func RecordIRMismatch(ctx context.Context, st *store.Store, actor string, m *IRMismatch) error {
	return st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Append(ctx, EventIRHashMismatch, actor, m.ref(), m)
		return err
	})
}
