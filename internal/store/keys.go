package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
)

// Key is a public key known to the database. Private keys never enter it.
type Key struct {
	KeyID     string `json:"keyId"` // sha256: of the DER SubjectPublicKeyInfo
	Name      string `json:"name"`
	Type      string `json:"type"` // ed25519, ecdsa-p256
	PublicPEM string `json:"publicKey"`
	CreatedAt string `json:"createdAt"`
}

// Public parses the stored public key; one that does not hash to the key
// id it is registered under is fail.Integrity.
func (k Key) Public() (*attest.Key, error) {
	pk, err := attest.ParsePEM("key "+k.Name, []byte(k.PublicPEM))
	if err != nil {
		return nil, err
	}
	if pk.ID != k.KeyID {
		return nil, fail.New(fail.Integrity, "key %s: stored public key hashes to %s, registered as %s", k.Name, pk.ID, k.KeyID)
	}
	return pk, nil
}

// PutKey registers a public key. Registering the same key under the same
// name again is a no-op; a name already used by another key is refused.
func (t *Tx) PutKey(ctx context.Context, k Key) (created bool, err error) {
	if k.Name == "" || k.KeyID == "" {
		return false, fail.New(fail.Invalid, "key without a name or id")
	}
	if old, err := t.Key(ctx, k.Name); err == nil {
		if old.KeyID == k.KeyID {
			return false, nil
		}
		return false, fail.New(fail.Invalid, "a different key named %q is already registered (%s)", k.Name, old.KeyID)
	} else if !fail.Is(err, fail.NotFound) {
		return false, err
	}
	if old, err := t.Key(ctx, k.KeyID); err == nil {
		return false, fail.New(fail.Invalid, "key %s is already registered as %q", k.KeyID, old.Name)
	}
	if k.CreatedAt == "" {
		k.CreatedAt = timeText(t.s.Now())
	}
	_, err = t.exec(ctx, `INSERT INTO keys (tenant, key_id, name, type, public_pem, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.tenant, k.KeyID, k.Name, k.Type, k.PublicPEM, k.CreatedAt)
	return err == nil, err
}

// Key returns the key with this name or key id.
func (t *Tx) Key(ctx context.Context, nameOrID string) (Key, error) {
	var k Key
	err := t.queryRow(ctx, `SELECT key_id, name, type, public_pem, created_at FROM keys
		WHERE tenant = ? AND (name = ? OR key_id = ?) ORDER BY name = ? DESC LIMIT 1`, t.tenant, nameOrID, nameOrID, nameOrID).
		Scan(&k.KeyID, &k.Name, &k.Type, &k.PublicPEM, &k.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fail.New(fail.NotFound, "key %q not found (see `stella key list`)", nameOrID)
	}
	return k, err
}

// Keys lists the registered keys by name.
func (t *Tx) Keys(ctx context.Context) ([]Key, error) {
	rows, err := t.query(ctx, `SELECT key_id, name, type, public_pem, created_at FROM keys WHERE tenant = ? ORDER BY name`, t.tenant)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, func(k *Key) []any { return []any{&k.KeyID, &k.Name, &k.Type, &k.PublicPEM, &k.CreatedAt} })
}
