//go:build linux && (amd64 || arm64)

package cli

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSealedFeedsPullOpensNoSocket runs `feeds pull` in sealed mode (the
// flag, and STELLA_OFFLINE=1) in a child that is killed if it opens a
// socket: it must exit 5 on its own, and the cache must stay empty.
func TestSealedFeedsPullOpensNoSocket(t *testing.T) {
	requireSeccomp(t)
	cache := filepath.Join(t.TempDir(), "feeds")
	args := []string{"feeds", "pull", "--osv", "PyPI", "--kev", "--epss", "--nvd", "recent", "--osv-url", "http://127.0.0.1:9/osv", "--cache-dir", cache}
	for _, c := range []struct {
		name    string
		offline string
		args    []string
	}{
		{"--sealed", "", append([]string{"--sealed"}, args...)},
		{"STELLA_OFFLINE=1", "1", args},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("STELLA_OFFLINE", c.offline)
			_, errs, err := sealedChild(t, c.args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 5 || ee.Sys().(syscall.WaitStatus).Signaled() {
				t.Fatalf("sealed feeds pull: %v, want exit 5\n%s", err, errs)
			}
			if !strings.Contains(errs, "sealed mode: feeds pull") {
				t.Errorf("stderr: %s", errs)
			}
			if fileExists(cache) {
				t.Errorf("the cache %s was created", cache)
			}
		})
	}
}
