package governance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// A key name becomes two file names: anything that could leave the
// directory or hide a file is refused before a key or a database exists.
func TestGenerateKeyName(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db")
	open := func(ctx context.Context, mustExist bool) (*store.Store, error) {
		return store.Open(ctx, db, "default", store.Options{MustExist: mustExist})
	}
	for _, name := range []string{"", ".hidden", "../up", "a/b", "a b", string(make([]byte, 65))} {
		_, err := GenerateKey(context.Background(), open, KeyRequest{Name: name, Dir: dir})
		if !fail.Is(err, fail.Invalid) {
			t.Errorf("GenerateKey(%q): err %v, want invalid", name, err)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused name created the database: %v", err)
	}
	if _, err := GenerateKey(context.Background(), open, KeyRequest{Name: "ci-1.2_x", Dir: dir}); err != nil {
		t.Fatalf("GenerateKey(ci-1.2_x): %v", err)
	}
}

// TestGenerateKeyPassEnv: --passphrase-env naming an empty variable is
// refused before anything is written; a set one encrypts the key.
func TestGenerateKeyPassEnv(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db")
	open := func(ctx context.Context, mustExist bool) (*store.Store, error) {
		return store.Open(ctx, db, "default", store.Options{MustExist: mustExist})
	}
	env := map[string]string{"PASS": "correct horse"}
	getenv := func(k string) string { return env[k] }
	if _, err := GenerateKey(t.Context(), open, KeyRequest{Name: "k", Dir: dir, PassEnv: "UNSET", Getenv: getenv}); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "--passphrase-env UNSET") {
		t.Errorf("empty --passphrase-env: %v, want invalid naming it", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused request created the database: %v", err)
	}
	k, err := GenerateKey(t.Context(), open, KeyRequest{Name: "k", Dir: dir, PassEnv: "PASS", Getenv: getenv})
	if err != nil || !k.Encrypted {
		t.Fatalf("GenerateKey with a passphrase: %+v, %v; want an encrypted key", k, err)
	}
}
