//go:build linux && (amd64 || arm64)

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The sealed-mode proof: the sealed run executes in a child process under
// a seccomp filter that kills the process (SIGSYS) on socket(2) or
// socketpair(2), the only ways to open a socket. If any code path of
// `policy run --sealed --bundle` tried to reach the network — a resolver,
// an HTTP client, a dialer, anything — the child would die instead of
// exiting 0. A control child proves the filter is live: it dials and dies.

const sealedChildEnv = "STELLA_TEST_SECCOMP_CHILD"

// denySockets installs the filter on every thread of the process.
func denySockets() error {
	arch := uint32(unix.AUDIT_ARCH_X86_64)
	if runtime.GOARCH == "arm64" {
		arch = unix.AUDIT_ARCH_AARCH64
	}
	kill := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: arch},
		{Code: unix.BPF_RET | unix.BPF_K, K: kill},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 2, Jf: 0, K: unix.SYS_SOCKET},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: unix.SYS_SOCKETPAIR},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_RET | unix.BPF_K, K: kill},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return errno
	}
	return nil
}

// TestSealedChild is the child: it runs only when the parent test starts
// it, installs the filter, then runs stella with the arguments it was given
// (or, for the control, dials a socket).
func TestSealedChild(t *testing.T) {
	raw := os.Getenv(sealedChildEnv)
	if raw == "" {
		t.Skip("run by TestSealedRunOpensNoSocket")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(99)
	}
	if err := denySockets(); err != nil {
		os.Stderr.WriteString("seccomp: " + err.Error() + "\n")
		os.Exit(98)
	}
	if args[0] == "dial" {
		net.Dial("tcp", "127.0.0.1:9")
		os.Exit(0) // not reached: the dial kills the process
	}
	os.Exit(Main(args, os.Stdin, os.Stdout, os.Stderr))
}

// requireSeccomp runs the control: the filter really kills a process that
// opens a socket. Without seccomp the test is skipped (failed with CI=true).
func requireSeccomp(t *testing.T) {
	t.Helper()
	_, errs, err := sealedChild(t, "dial")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 98 { // the filter could not be installed
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true requires seccomp: %s", errs)
		}
		t.Skipf("seccomp is not available here: %s", errs)
	}
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
		t.Fatalf("control child: %v, want it killed by SIGSYS (is seccomp available?)", err)
	}
}

// sealedChild runs args in a child under the filter.
func sealedChild(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSealedChild$")
	cmd.Env = append(os.Environ(), sealedChildEnv+"="+string(raw))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestSealedRunOpensNoSocket is the round trip of issue 7 under the
// filter: a bundle exported at site A, imported and evaluated at site B by
// `policy run --sealed --bundle` in a process that cannot open a socket,
// gives the findings digest of the run at A.
func TestSealedRunOpensNoSocket(t *testing.T) {
	requireSeccomp(t)

	s := newKitSite(t)
	dbB := filepath.Join(s.dir, "b.db")
	out, errs, err := sealedChild(t, "policy", "run", "--sealed", "--bundle", s.kit, "--trust-root", s.pub(), "--db", dbB,
		"--sign-key", s.key(), "--as-of", "2024-03-10T00:00:00Z", "--fail-on", "never", "--format", "json")
	if err != nil {
		t.Fatalf("sealed run: %v\n%s%s", err, out, errs)
	}
	if got := runFindings(t, out); got != s.findings {
		t.Fatalf("sealed run at B: findings %s; the run at A: %s", got, s.findings)
	}
	if !strings.Contains(errs, "imported bundle") || !strings.Contains(errs, "system clock") {
		t.Errorf("stderr: %s", errs)
	}
	// The bundle is imported once: a second sealed run reuses it.
	out, errs, err = sealedChild(t, "--offline", "policy", "run", "P-1", "--bundle", s.kit, "--trust-root", s.pub(), "--db", dbB,
		"--as-of", "2024-03-10T00:00:00Z", "--fail-on", "never", "--format", "json")
	if err != nil || runFindings(t, out) != s.findings || strings.Contains(errs, "imported bundle") {
		t.Fatalf("second sealed run: %v\n%s%s", err, out, errs)
	}
}
