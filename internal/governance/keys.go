package governance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Key pairs of a site (docs/attestation.md "Keys"): generated, written as
// files and registered in the store by their public half.

// DefaultKeyType is the type `key generate` makes unless told otherwise.
const DefaultKeyType = attest.Ed25519

// KeyRequest asks GenerateKey for a key pair.
type KeyRequest struct {
	Name       string // NAME.key and NAME.pub, and the name it is registered under
	Type       string // attest.Ed25519 or attest.ECDSAP256
	Dir        string // where the files go
	Force      bool   // replace existing files (a symlink is replaced, never followed)
	Passphrase []byte // encrypt the private key with it (nil: unencrypted)
	// PassEnv names the environment variable (read with Getenv) that holds
	// the passphrase, as --passphrase-env does for signing keys.
	PassEnv string
	Getenv  func(string) string
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
// nothing registered. The store is opened (open(ctx, false)) and closed
// only once the key exists, so a bad request creates no database.
func GenerateKey(ctx context.Context, open func(context.Context, bool) (*store.Store, error), req KeyRequest) (*GeneratedKey, error) {
	if req.PassEnv != "" {
		pass := req.Getenv(req.PassEnv)
		if pass == "" {
			return nil, fail.New(fail.Invalid, "--passphrase-env %s: the environment variable is empty or unset", req.PassEnv)
		}
		req.Passphrase = []byte(pass)
	}
	if err := validKeyName(req.Name); err != nil {
		return nil, err
	}
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
	st, err := open(ctx, false)
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

// SigningKeyQuery is everything a command's signing key may come from, in
// the one precedence order (docs/attestation.md "Where keys come from"):
// --sign-key (from the command line, else env STELLA_SIGN_KEY or config
// sign-key, which may hold PEM text), the deprecated --key, --sign-key-env
// VAR, config signing.key (STELLA_SIGNING_KEY), the deprecated config key
// (STELLA_KEY).
type SigningKeyQuery struct {
	SignKey          string // the --sign-key value
	SignKeyFrom      string // where it came from when not the command line ("" = the command line)
	OldKey           string // --key, the governance commands' old spelling
	KeyEnv           string // --sign-key-env: the variable's name
	Config           bool   // a config is loaded: ConfigSigningKey and ConfigKey apply
	ConfigSigningKey string // config signing.key
	ConfigKey        string // config key (deprecated)
	Dir              string // the keys directory, for names
	PassEnv          string // --passphrase-env ("" = DefaultPassphraseEnv)
	Getenv           func(string) string
	Warn             func(string)
}

// DefaultPassphraseEnv holds an encrypted key's passphrase when
// --passphrase-env is not given.
const DefaultPassphraseEnv = "STELLA_KEY_PASSPHRASE"

// ResolveSigningKey returns the key q names first; nil when none is given.
// Key material given by value is never echoed (attest.Resolver).
func ResolveSigningKey(q SigningKeyQuery) (*attest.Key, error) {
	signKey := attest.Source{Name: "--sign-key", Value: q.SignKey}
	if q.SignKeyFrom != "" {
		signKey = attest.Source{Name: q.SignKeyFrom, Value: q.SignKey, ByValue: true}
	}
	srcs := []attest.Source{signKey, {Name: "--key", Value: q.OldKey, Instead: "--sign-key (--key names a trusted public key)"}}
	if q.KeyEnv != "" {
		v := q.Getenv(q.KeyEnv)
		if v == "" {
			return nil, fail.New(fail.Invalid, "--sign-key-env %s: the environment variable is empty or unset", q.KeyEnv)
		}
		srcs = append(srcs, attest.Source{Name: "--sign-key-env " + q.KeyEnv, Value: v, ByValue: true})
	}
	if q.Config {
		srcs = append(srcs,
			attest.Source{Name: "config signing.key (STELLA_SIGNING_KEY)", Value: q.ConfigSigningKey, ByValue: true},
			attest.Source{Name: "config key (STELLA_KEY)", Value: q.ConfigKey, ByValue: true, Instead: "signing.key (STELLA_SIGNING_KEY)"})
	}
	passEnv := q.PassEnv
	if passEnv == "" {
		passEnv = DefaultPassphraseEnv
	}
	r := &attest.Resolver{
		Dir: q.Dir,
		Passphrase: func() ([]byte, error) {
			p := q.Getenv(passEnv)
			if p == "" && q.PassEnv != "" {
				return nil, fail.New(fail.Invalid, "--passphrase-env %s: the environment variable is empty or unset", passEnv)
			}
			return []byte(p), nil
		},
		PassphraseHint: "put its passphrase in an environment variable and name it with --passphrase-env VAR (default " + DefaultPassphraseEnv + ")",
		Warn:           q.Warn,
	}
	k, err := r.Resolve(srcs...)
	if errors.Is(err, attest.ErrNoKey) {
		return nil, nil
	}
	return k, err
}

// validKeyName accepts key names: letters, digits, '.', '_' and '-', not
// starting with '.' — the names of the files GenerateKey writes.
func validKeyName(n string) error {
	if n == "" || len(n) > 64 || strings.HasPrefix(n, ".") {
		return fail.New(fail.Invalid, "key name %q: want 1-64 letters, digits, '.', '_' or '-'", n)
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fail.New(fail.Invalid, "key name %q: want 1-64 letters, digits, '.', '_' or '-'", n)
		}
	}
	return nil
}
