package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

// TestMigrateCarriedKeyNames opens a database written by a stella that
// registered the keys a bundle carried under the producer's names
// (schema 8): migration 0009 renames them bundle:NAME, leaves the site's
// own keys (key.generated, trust.*) alone, and the chain still verifies
// (docs/bundle.md "The importing site's trust only").
func TestMigrateCarriedKeyNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s := open(t, path, "")
	put := func(tx *Tx, id, name string) {
		t.Helper()
		if _, err := tx.PutKey(ctx, Key{KeyID: id, Name: name, Type: "ed25519", PublicPEM: "pem " + id}); err != nil {
			t.Fatal(err)
		}
	}
	const (
		mine    = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
		ops     = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
		hq      = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
		taken   = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
		already = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	)
	if err := s.Update(ctx, func(tx *Tx) error {
		put(tx, mine, "mine") // key generate
		if _, err := tx.Append(ctx, "key.generated", "cli", mine, map[string]string{"keyId": mine, "name": "mine", "type": "ed25519"}); err != nil {
			return err
		}
		// A bundle carried hq, relay and bundle:relay (imported after the
		// fix) in: keys registered under their names, no event names them.
		put(tx, hq, "hq")
		put(tx, taken, "relay")
		put(tx, already, "bundle:relay")
		if _, err := tx.Append(ctx, "bundle.imported", "cli", "stream:kit", map[string]any{"signers": []string{hq}}); err != nil {
			return err
		}
		// The site's principal hq, registered beside the carried name.
		put(tx, ops, "hq-222222222222")
		_, err := tx.Append(ctx, "trust.added", "cli", ops, map[string]any{"principal": "hq", "keyId": ops, "scopes": []string{"bundle:sign"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", dsn(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 8"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = open(t, path, "")
	want := map[string]string{mine: "mine", ops: "hq-222222222222", hq: "bundle:hq",
		taken: "bundle:relay-444444444444", already: "bundle:relay"}
	if err := s.View(ctx, func(tx *Tx) error {
		for id, name := range want {
			k, err := tx.Key(ctx, id)
			if err != nil || k.Name != name {
				t.Errorf("key %s: name %q, %v; want %q", id[:12], k.Name, err, name)
			}
		}
		// What --trust-root hq resolves: no longer the producer's key.
		if k, err := tx.Key(ctx, "hq"); !fail.Is(err, fail.NotFound) {
			t.Errorf("hq resolves to %+v, %v", k, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() || rep.AuditEvents != 3 || rep.Schema != SchemaVersion() {
		t.Fatalf("check after migration: %+v, %v", rep, err)
	}
}
