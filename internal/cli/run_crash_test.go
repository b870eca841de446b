package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/testenv"
)

// runStella runs stella in-process and fails the test on a non-zero exit
// other than the allowed ones.
func runStella(t *testing.T, allowed []int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	for _, a := range append(allowed, 0) {
		if code == a {
			return out.String()
		}
	}
	t.Fatalf("stella %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	return ""
}

// bigSBOM writes a CycloneDX SBOM with n copies of a vulnerable lodash, so
// that a run records n findings.
func bigSBOM(t *testing.T, path string, n int) {
	var b strings.Builder
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{"component":{"bom-ref":"app","type":"application","name":"app","version":"1"}},"components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"bom-ref":"lodash-%d","type":"library","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20?copy=%d"}`, i, i)
	}
	b.WriteString(`]}`)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunCrashConsistency kills a `stella policy run` process at random
// points, 20 times. After each kill the database passes `store check`
// (integrity, audit chain, every run's findings and explains against its
// digests) and every visible run is complete.
func TestRunCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := exec.LookPath("stella") // the test binary, set up by testscript.Main
	if err != nil {
		t.Skipf("stella is not on PATH: %v", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db")
	policy := filepath.Join(dir, "gate.stella")
	os.WriteFile(policy, []byte(`policy "gate" syntax "stella-dsl@1" {
  rule warn_high {
    when severity.normalized >= "High"
    then warn message "plan a fix"
    because "High findings need a plan."
  }
}
`), 0o644)
	sbom := filepath.Join(dir, "big.cdx.json")
	bigSBOM(t, sbom, 400)
	inputs := filepath.Join(testenv.RepoRoot(), "testdata", "inputs")
	snap := filepath.Join(dir, "snap")
	runStella(t, nil, "snapshot", "create", "--sbom", sbom, "--advisories", filepath.Join(inputs, "osv"), "-o", snap, "--db", db)
	runStella(t, nil, "snapshot", "import", snap, "--db", db)
	runStella(t, nil, "key", "generate", "--name", "ci", "--dir", filepath.Join(dir, "keys"), "--db", db)

	args := func(i int) []string {
		return []string{"policy", "run", policy, "--snapshot", snap, "--db", db, "--sign-key", filepath.Join(dir, "keys", "ci.key"),
			"--as-of", "2024-03-10T00:00:00Z", "--env", fmt.Sprintf("attempt=%d", i), "--format", "json"}
	}
	// One complete run measures how long a run takes.
	start := time.Now()
	if out, err := exec.Command(exe, args(-1)...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	full := time.Since(start)

	ctx := context.Background()
	rng := rand.New(rand.NewPCG(6, 6))
	killed := 0
	for i := range 20 {
		cmd := exec.Command(exe, args(i)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most of a run is loading and evaluating; the write comes last, so
		// kill points are drawn from the last two thirds of a run's time
		// and a little beyond it.
		time.Sleep(full/3 + time.Duration(rng.Int64N(int64(full)*8/10)))
		cmd.Process.Kill()
		if err := cmd.Wait(); err != nil && strings.Contains(err.Error(), "killed") {
			killed++
		}

		st, err := store.Open(ctx, db, "", store.Options{})
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		rep, err := st.Check(ctx)
		if err != nil {
			st.Close()
			t.Fatalf("kill %d: %v", i, err)
		}
		if !rep.OK() {
			st.Close()
			t.Fatalf("kill %d: store check: %v", i, rep.Problems)
		}
		err = st.View(ctx, func(tx *store.Tx) error {
			runs, err := tx.Runs(ctx, store.RunFilter{})
			for _, r := range runs {
				if r.Status != store.StatusSucceeded || r.Findings != 400 || !r.Signed {
					t.Errorf("kill %d: partial run visible: %+v", i, r)
				}
			}
			return err
		})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	out := runStella(t, nil, "store", "check", "--db", db, "--format", "json")
	if !strings.Contains(out, `"problems": []`) {
		t.Fatalf("store check: %s", out)
	}
	t.Logf("a full run takes %v; %d of 20 processes were killed before they finished", full, killed)
}
