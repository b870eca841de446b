package governance

import (
	"encoding/json"
	"os"
	"testing"
)

// Issue 20 row 7, the local head anchor: an attacker who writes the
// database and the anchor file deletes the tail of the chain (approval
// included) and rewrites the unsigned anchor to match. The head the
// approver's key signed beside it still names the deleted event.
func TestSignedHeadDetectsTruncation(t *testing.T) {
	w := approvedWorld(t) // the approval, event 7, signed the head
	rep, err := VerifyAudit(w.ctx, w.st, w.reg.Trust)
	if err != nil || rep.SignedHead == nil || rep.SignedHead.Seq != 7 {
		t.Fatalf("untouched: %+v %v", rep, err)
	}
	tamper(t, w, "DELETE FROM governance_statements WHERE seq >= 6", "DELETE FROM audit_events WHERE seq >= 6",
		"UPDATE policy_lifecycle SET state = 'submitted', updated_by = 5 WHERE policy_id = 'P-1'")
	b, err := os.ReadFile(w.st.AnchorPath())
	if err != nil {
		t.Fatal(err)
	}
	var anchor map[string]json.RawMessage
	if err := json.Unmarshal(b, &anchor); err != nil {
		t.Fatal(err)
	}
	anchor["tenants"] = json.RawMessage(`{}`) // the unsigned head, forgotten
	b, _ = json.Marshal(anchor)
	if err := os.WriteFile(w.st.AnchorPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyAudit(w.ctx, w.st, w.reg.Trust)
	wantIntegrity(t, err, "(signed head): audit chain broken at event 5: the chain ends at event 5 but a signed checkpoint records event 7")

	// A head signed by a key nobody here knows is reported, not trusted.
	w2 := approvedWorld(t)
	w2.reg.Trust.Entries = nil
	tamper(t, w2, "DELETE FROM keys")
	if rep, err := VerifyAudit(w2.ctx, w2.st, w2.reg.Trust); err != nil || rep.SignedHead != nil || len(rep.SignedHeadSigner) != 1 {
		t.Fatalf("unknown signer: %+v %v", rep, err)
	}
}
