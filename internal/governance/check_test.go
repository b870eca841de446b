package governance

import (
	"strings"
	"testing"
)

// TestCheckStore: store check passes on an untouched store and names the
// lifecycle row edited behind the statements' back.
func TestCheckStore(t *testing.T) {
	w := approvedWorld(t)
	rep, err := CheckStore(w.ctx, w.st)
	if err != nil || !rep.OK() {
		t.Fatalf("untouched: %v, %+v", err, rep)
	}
	tamper(t, w, "UPDATE policy_lifecycle SET state = 'active' WHERE policy_id = 'P-1'")
	rep, err = CheckStore(w.ctx, w.st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "P-1") {
		t.Errorf("edited lifecycle row: problems %q", rep.Problems)
	}
}
