package governance

import (
	"context"
	"os"
	"path/filepath"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Key pairs of a site (docs/attestation.md "Keys"): generated, written as
// files and registered in the store by their public half.

// KeyRequest asks GenerateKey for a key pair.
type KeyRequest struct {
	Name       string // NAME.key and NAME.pub, and the name it is registered under
	Type       string // attest.Ed25519 or attest.ECDSAP256
	Dir        string // where the files go
	Force      bool   // replace existing files (a symlink is replaced, never followed)
	Passphrase []byte // encrypt the private key with it (nil: unencrypted)
}

// GeneratedKey is a key pair GenerateKey wrote and registered.
type GeneratedKey struct {
	KeyID      string `json:"keyId"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	PrivateKey string `json:"privateKeyFile,omitempty"`
	PublicKey  string `json:"publicKeyFile,omitempty"`
	Encrypted  bool   `json:"encrypted,omitempty"`
	CreatedAt  string `json:"createdAt,omitempty"`
}

// GenerateKey generates a key pair, writes NAME.key (0600, PKCS #8, encrypted
// with the passphrase when given) and NAME.pub into req.Dir, registers the
// public key under NAME and records key.generated — the files inside the
// transaction that registers the key, so a failure to write them leaves
// nothing registered. The store is opened (and closed) only once the key
// exists, so a bad request creates no database.
func GenerateKey(ctx context.Context, open func() (*store.Store, error), req KeyRequest) (*GeneratedKey, error) {
	k, err := attest.Generate(req.Type)
	if err != nil {
		return nil, err
	}
	var priv []byte
	if req.Passphrase != nil {
		priv, err = k.EncryptedPEM(req.Passphrase)
	} else {
		priv, err = k.PrivatePEM()
	}
	if err != nil {
		return nil, err
	}
	pub, err := k.PublicPEM()
	if err != nil {
		return nil, err
	}
	out := &GeneratedKey{KeyID: k.ID, Name: req.Name, Type: k.Type, Encrypted: req.Passphrase != nil,
		PrivateKey: filepath.Join(req.Dir, req.Name+".key"), PublicKey: filepath.Join(req.Dir, req.Name+".pub")}
	st, err := open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	err = st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PutKey(ctx, store.Key{KeyID: k.ID, Name: req.Name, Type: k.Type, PublicPEM: string(pub)}); err != nil {
			return err
		}
		if _, err := tx.Append(ctx, "key.generated", "cli", k.ID, map[string]string{"keyId": k.ID, "name": req.Name, "type": k.Type}); err != nil {
			return err
		}
		if err := os.MkdirAll(req.Dir, 0o700); err != nil {
			return fail.New(fail.Internal, "key directory %s: %v", req.Dir, unwrapPathErr(err))
		}
		if err := attest.WriteKeyFile(out.PrivateKey, priv, 0o600, req.Force); err != nil {
			return err
		}
		if err := attest.WriteKeyFile(out.PublicKey, pub, 0o644, req.Force); err != nil {
			os.Remove(out.PrivateKey)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Keys returns the registered public keys, oldest first.
func Keys(ctx context.Context, st *store.Store) ([]GeneratedKey, error) {
	var keys []store.Key
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		keys, err = tx.Keys(ctx)
		return err
	})
	out := make([]GeneratedKey, len(keys))
	for i, k := range keys {
		out[i] = GeneratedKey{KeyID: k.KeyID, Name: k.Name, Type: k.Type, CreatedAt: k.CreatedAt}
	}
	return out, err
}

// RegisteredKey returns the registered key with this name or id.
func RegisteredKey(ctx context.Context, st *store.Store, ref string) (store.Key, error) {
	var k store.Key
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		k, err = tx.Key(ctx, ref)
		return err
	})
	return k, err
}
