package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

// FuzzConfigFile: any config file — YAML of any shape, keys of any type,
// lists where scalars belong — is a usable config or a usage error (exit
// 2), never a panic or an internal error.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("format: json\nquiet: true\nbundle:\n  trust_roots: [a.pub, b.pub]\n"))
	f.Add([]byte("as-of: 2024-03-10T00:00:00Z\nfail-on: [high, critical]\nenv: {exposure: internet}\n"))
	f.Add([]byte("signing:\n  key: ~\nkey: [1, 2]\n: x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "stella.yaml")
		if err := os.WriteFile(cfg, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var errb strings.Builder
		code := Main([]string{"--config", cfg, "--db", filepath.Join(dir, "s.db"), "cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, strings.NewReader(""), io.Discard, &errb)
		if code != 0 && code != int(fail.Invalid) {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	})
}
