package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestConformanceRunReplayVerify runs the published baseline policy on a
// real SBOM against every shared OSV advisory, and proves the run: replay
// gives identical outputs, the export verifies offline, and so does the
// signed manifest against the stored rows.
func TestConformanceRunReplayVerify(t *testing.T) {
	data := testenv.RequireData(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db")
	snap := filepath.Join(dir, "snap")
	runStella(t, nil, "snapshot", "create", "--sbom", filepath.Join(data, "sbom", "cyclonedx", "juice-shop-11.1.2.cdx.json"),
		"--advisories", filepath.Join(data, "osv"), "-o", snap, "--db", db, "-q")
	runStella(t, nil, "snapshot", "import", snap, "--db", db)
	runStella(t, nil, "key", "generate", "--name", "ci", "--type", "ecdsa-p256", "--dir", filepath.Join(dir, "keys"), "--db", db)

	att := filepath.Join(dir, "run.dsse.json")
	out := runStella(t, []int{int(fail.Blocked)}, "policy", "run", filepath.Join(data, "policies", "baseline.stella"), "--snapshot", snap,
		"--db", db, "--sign-key", filepath.Join(dir, "keys", "ci.key"), "--attestation", att, "--env", "exposure=internet", "--format", "json", "-q")
	var sum run.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err, out)
	}
	if sum.Findings == 0 || !sum.Signed || sum.ByVerdict.Blocked == 0 {
		t.Fatalf("summary: %+v", sum)
	}
	t.Logf("%s: %d findings (%d blocked)", sum.RunID, sum.Findings, sum.ByVerdict.Blocked)

	if out := runStella(t, nil, "policy", "replay", sum.RunID, "--db", db, "--format", "json"); !strings.Contains(out, `"identical": true`) {
		t.Fatalf("replay: %s", out)
	}
	ev := filepath.Join(dir, "evidence.tar")
	runStella(t, nil, "policy", "export", "--run", sum.RunID, "-o", ev, "--db", db)
	pub := filepath.Join(dir, "keys", "ci.pub")
	out = runStella(t, nil, "policy", "verify", ev, "--key", pub, "--db", filepath.Join(dir, "none.db"), "--format", "json")
	if !strings.Contains(out, `"verified": true`) || !strings.Contains(out, sum.RunID) {
		t.Fatalf("verify evidence: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Fatal("verifying evidence created a database")
	}
	out = runStella(t, nil, "policy", "verify", att, "--key", pub, "--db", db, "--format", "json")
	if !strings.Contains(out, `"storedRun": "checked: record, findings, explains and IR match"`) {
		t.Fatalf("verify envelope: %s", out)
	}
	if out := runStella(t, nil, "store", "check", "--db", db, "--format", "json"); !strings.Contains(out, `"problems": []`) {
		t.Fatalf("store check: %s", out)
	}
}
