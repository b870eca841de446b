package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// crashChildEnv makes the test binary a child that records runs until it
// is killed (TestCrashConsistency).
const crashChildEnv = "STELLA_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashChild records runs with many findings into path, forever.
func crashChild(path string) int {
	ctx := context.Background()
	s, err := Open(ctx, path, "", Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; ; i++ {
		m := meta(strconv.Itoa(i)+"-"+strconv.Itoa(os.Getpid()), false)
		res, err := buildResult(400, false)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

// TestCrashConsistency kills a process that is recording runs at random
// points, 20 times; after each kill the database passes Check (which
// recomputes every run's findings and explains digests from the stored
// rows, so a half-written run cannot hide) and the audit chain is intact.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	prev := 0
	for i := range 20 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rng.IntN(700)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		s, err := Open(ctx, path, "", Options{})
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", i, err)
		}
		rep, err := s.Check(ctx)
		s.Close()
		if err != nil {
			t.Fatalf("kill %d: check: %v", i, err)
		}
		if !rep.OK() {
			t.Fatalf("kill %d: %v", i, rep.Problems)
		}
		// Every run is complete: 400 findings each; the chain has 2 events per run.
		if rep.Findings != 400*rep.Runs || rep.AuditEvents != 2*rep.Runs || rep.Runs < prev {
			t.Fatalf("kill %d: %d runs, %d findings, %d events", i, rep.Runs, rep.Findings, rep.AuditEvents)
		}
		prev = rep.Runs
	}
	t.Logf("%d runs recorded across 20 kills", prev)
}
