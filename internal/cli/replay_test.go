package cli

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestReplayDifference records a run, then makes the database disagree with
// what the run's inputs and IR produce — as a changed engine, a tampered
// row or a nondeterministic evaluation would — and checks that replay exits
// 6 naming the first differing finding.
func TestReplayDifference(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db")
	inputs := filepath.Join(testenv.RepoRoot(), "testdata", "inputs")
	snap := filepath.Join(dir, "snap")
	policy := filepath.Join(dir, "gate.stella")
	os.WriteFile(policy, []byte(`policy "gate" syntax "stella-dsl@1" {
  rule block_kev priority 1 {
    when advisory.has_tag("kev")
    then status := "blocked"
    because "KEV blocks."
  }
}
`), 0o644)
	runStella(t, nil, "snapshot", "create", "--sbom", filepath.Join(inputs, "shop.cdx.json"), "--advisories", filepath.Join(inputs, "osv"),
		"--kev", filepath.Join(inputs, "kev.json"), "-o", snap, "--db", db)
	runStella(t, nil, "snapshot", "import", snap, "--db", db)
	runStella(t, []int{int(fail.Blocked)}, "policy", "run", policy, "--snapshot", snap, "--db", db, "--as-of", "2024-03-10T00:00:00Z")
	if out := runStella(t, nil, "policy", "replay", "latest", "--db", db, "--format", "json"); !strings.Contains(out, `"identical": true`) {
		t.Fatalf("replay before tampering: %s", out)
	}

	// The recorded outputs now say the finding was passed.
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE findings SET data = CAST(replace(CAST(data AS TEXT), '"verdict":"blocked"', '"verdict":"passed"') AS BLOB)`,
		`UPDATE runs SET findings_digest = 'sha256:' || hex(randomblob(32))`,
	} {
		if _, err := sdb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sdb.Close()

	var out, errb bytes.Buffer
	code := Main([]string{"policy", "replay", "latest", "--db", db, "--format", "json"}, strings.NewReader(""), &out, &errb)
	if code != int(fail.Integrity) {
		t.Fatalf("exit %d, want 6\n%s%s", code, out.String(), errb.String())
	}
	var rep run.ReplayReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Identical || rep.First == nil || rep.First.Kind != "changed" || len(rep.First.Fields) != 1 || rep.First.Fields[0] != "verdict" {
		t.Fatalf("report: %+v", rep)
	}
	if !strings.Contains(errb.String(), "first difference: finding "+rep.First.FindingID+" (changed)") {
		t.Fatalf("stderr: %s", errb.String())
	}
	// store check sees the disagreement too.
	if code := Main([]string{"store", "check", "--db", db}, strings.NewReader(""), &out, &errb); code != int(fail.Integrity) {
		t.Fatalf("store check: exit %d", code)
	}
}
