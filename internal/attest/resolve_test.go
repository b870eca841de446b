package attest

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

// TestResolveNeverEchoesKey: whatever way a private key is passed, no
// message quotes its bytes (issue: `--sign-key "$(cat k.key)"` printed it).
func TestResolveNeverEchoesKey(t *testing.T) {
	k, _ := Generate(Ed25519)
	priv, _ := k.PrivatePEM()
	pub, _ := k.PublicPEM()
	body := strings.Split(string(priv), "\n")[1] // the base64 line
	dir := t.TempDir()
	pass := func() ([]byte, error) { return []byte("s3cret"), nil }
	enc, err := k.EncryptedPEM([]byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	encBody := strings.Split(string(enc), "\n")[1]
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := write("good.key", priv, 0o600)
	loose := write("loose.key", priv, 0o644)
	pubFile := write("k.pub", pub, 0o644)
	encFile := write("enc.key", enc, 0o600)
	raw := base64.StdEncoding.EncodeToString([]byte(body))

	tests := []struct {
		name string
		r    Resolver
		src  Source
		kind fail.Kind // 0: resolves to k
		msg  string
	}{
		{"flag by value", Resolver{}, Source{Name: "--sign-key", Value: string(priv)}, fail.Invalid, "the key given by value to --sign-key is not a file"},
		{"flag base64 by value", Resolver{}, Source{Name: "--sign-key", Value: raw}, fail.Invalid, "not a file"},
		{"env by value", Resolver{}, Source{Name: "STELLA_SIGNING_KEY", Value: string(priv), ByValue: true}, 0, ""},
		{"env garbage by value", Resolver{}, Source{Name: "STELLA_SIGNING_KEY", Value: strings.Replace(string(priv), body[:8], "AAAAAAAA", 1), ByValue: true}, fail.Invalid, "key given by value"},
		{"env public by value", Resolver{}, Source{Name: "STELLA_SIGNING_KEY", Value: string(pub), ByValue: true}, fail.Invalid, "is a public key"},
		{"file", Resolver{}, Source{Name: "--sign-key", Value: good}, 0, ""},
		{"name in dir", Resolver{Dir: dir}, Source{Name: "--sign-key", Value: "good"}, 0, ""},
		{"missing name", Resolver{Dir: dir}, Source{Name: "--sign-key", Value: "nope"}, fail.NotFound, "nope.key does not exist"},
		{"group readable", Resolver{}, Source{Name: "--sign-key", Value: loose}, fail.Integrity, "readable by group or others (mode 0644)"},
		{"public file", Resolver{}, Source{Name: "--sign-key", Value: pubFile}, fail.Invalid, "is a public key"},
		{"encrypted, no passphrase", Resolver{PassphraseHint: "set X"}, Source{Name: "--sign-key", Value: encFile}, fail.Invalid, "is an encrypted private key: set X"},
		{"encrypted", Resolver{Passphrase: pass}, Source{Name: "--sign-key", Value: encFile}, 0, ""},
		{"encrypted, wrong passphrase", Resolver{Passphrase: func() ([]byte, error) { return []byte("nope"), nil }}, Source{Name: "--sign-key", Value: encFile}, fail.Invalid, "cannot decrypt"},
		{"encrypted by value", Resolver{Passphrase: pass}, Source{Name: "--sign-key-env K", Value: string(enc), ByValue: true}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.Resolve(Source{Name: "unused"}, tc.src)
			if tc.kind == 0 {
				if err != nil || got.ID != k.ID || !got.CanSign() {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			if !fail.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want kind %d and %q", err, tc.kind, tc.msg)
			}
			for _, secret := range []string{body, body[10:30], encBody[10:30], raw[:20], "PRIVATE KEY-----"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("message quotes key material: %v", err)
				}
			}
		})
	}
	if _, err := (&Resolver{}).Resolve(Source{Name: "--sign-key"}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no source: %v", err)
	}
	var warned []string
	r := Resolver{Warn: func(m string) { warned = append(warned, m) }}
	if _, err := r.Resolve(Source{Name: "--key", Value: good, Instead: "--sign-key"}); err != nil || len(warned) != 1 || warned[0] != "--key is deprecated; use --sign-key" {
		t.Fatalf("alias: %v %q", err, warned)
	}
	if _, err := LoadFile(string(priv)); err == nil || strings.Contains(err.Error(), body) {
		t.Fatalf("LoadFile by value: %v", err)
	}
}

func TestLooksLikeKey(t *testing.T) {
	for v, want := range map[string]bool{
		"keys/ci.key": false, "ci": false, "ci-release-2026.key": false,
		"/home/me/.local/share/stella/keys/a-very-long-key-name-here.key": false,
		"-----BEGIN PRIVATE KEY-----":                                     true, "MC4CAQAwBQYDK2VwBCIEIGxkZW5zZWNyZXRrZXlieXRlc2hlcmU=": true,
		"line\nbreak": true,
	} {
		if got := LooksLikeKey(v); got != want {
			t.Errorf("LooksLikeKey(%q) = %v", v, got)
		}
	}
}

// TestWriteKeyFile: a key file is created exclusively; --force replaces a
// symlink at the path and never writes through it (issue: `key generate
// --force` followed a symlink).
func TestWriteKeyFile(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	os.WriteFile(elsewhere, []byte("precious"), 0o644)
	sym := filepath.Join(dir, "sym.key")
	if err := os.Symlink(elsewhere, sym); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := WriteKeyFile(sym, []byte("key"), 0o600, false); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("without force: %v", err)
	}
	dangling := filepath.Join(dir, "dangling.key")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	if err := WriteKeyFile(dangling, []byte("key"), 0o600, false); err == nil {
		t.Fatal("dangling symlink followed")
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Fatal("created the symlink's target")
	}
	if err := WriteKeyFile(sym, []byte("key"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(elsewhere); string(b) != "precious" {
		t.Fatalf("symlink target overwritten: %q", b)
	}
	fi, err := os.Lstat(sym)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sym.key: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(sym); string(b) != "key" {
		t.Fatalf("sym.key holds %q", b)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".stella-key-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
