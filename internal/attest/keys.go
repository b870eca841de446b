// Package attest owns stella's signing keys, DSSE envelopes and in-toto
// statements: key generation and PEM files, key ids, signing and offline
// verification of policy.run@1 run manifests (and of any other statement
// governance or bundles sign), and the evidence archives of `policy export`
// that verify with no database.
//
// A key id is "sha256:" followed by the lowercase hex SHA-256 of the DER
// encoding of the public key's X.509 SubjectPublicKeyInfo — the bytes inside
// the PUBLIC KEY PEM block, so `openssl pkey -pubin -outform DER | sha256sum`
// reproduces it (docs/attestation.md). Signatures are Ed25519 over the
// message or ECDSA P-256 over its SHA-256 (ASN.1), inside
// go-securesystemslib's DSSE envelope (sign.go).
package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/youmark/pkcs8"

	"github.com/stella-policy/stella/internal/fail"
)

// Key types.
const (
	Ed25519   = "ed25519"
	ECDSAP256 = "ecdsa-p256"
)

// Key is a public key, with its private half when it can sign.
type Key struct {
	ID     string // sha256: of the DER SubjectPublicKeyInfo
	Type   string // Ed25519 or ECDSAP256
	Public crypto.PublicKey
	signer crypto.Signer
}

// CanSign reports whether the key holds its private half.
func (k *Key) CanSign() bool { return k.signer != nil }

// Generate makes a new key of type typ (Ed25519 when empty).
func Generate(typ string) (*Key, error) {
	var s crypto.Signer
	switch typ {
	case Ed25519, "":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		s = priv
	case ECDSAP256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		s = priv
	default:
		return nil, fail.New(fail.Invalid, "unknown key type %q (want %s or %s)", typ, Ed25519, ECDSAP256)
	}
	return fromSigner(s)
}

func fromSigner(s crypto.Signer) (*Key, error) {
	k, err := fromPublic(s.Public())
	if err != nil {
		return nil, err
	}
	k.signer = s
	return k, nil
}

func fromPublic(pub crypto.PublicKey) (*Key, error) {
	var typ string
	switch p := pub.(type) {
	case ed25519.PublicKey:
		typ = Ed25519
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, fail.New(fail.Invalid, "unsupported ECDSA curve %s (want P-256)", p.Curve.Params().Name)
		}
		typ = ECDSAP256
	default:
		return nil, fail.New(fail.Invalid, "unsupported key type %T (want ed25519 or ECDSA P-256)", pub)
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Key{ID: id, Type: typ, Public: pub}, nil
}

// KeyID returns the key id of pub.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fail.New(fail.Invalid, "public key: %v", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// PublicPEM returns the public key as a PUBLIC KEY PEM block (PKIX).
func (k *Key) PublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// PrivatePEM returns the private key as an unencrypted PRIVATE KEY PEM block
// (PKCS #8).
func (k *Key) PrivatePEM() ([]byte, error) {
	if k.signer == nil {
		return nil, fail.New(fail.Invalid, "key %s has no private half", k.ID)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.signer)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePEM reads a key from PEM: a PRIVATE KEY (PKCS #8) gives a key that
// can sign, a PUBLIC KEY (PKIX) one that can only verify. name is used in
// messages. Errors never quote key material. An ENCRYPTED PRIVATE KEY is
// refused here: ParsePEMPassphrase reads it.
func ParsePEM(name string, b []byte) (*Key, error) {
	return ParsePEMPassphrase(name, b, nil)
}

// ErrPassphrase is wrapped by the error for an encrypted private key read
// without a passphrase.
var ErrPassphrase = errors.New("encrypted private key needs a passphrase")

// ParsePEMPassphrase is ParsePEM that also reads an encrypted PKCS #8
// private key (PBES2) with the passphrase pass returns; pass is called only
// for an encrypted key, and nil means none is available.
func ParsePEMPassphrase(name string, b []byte, pass func() ([]byte, error)) (*Key, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fail.New(fail.Invalid, "%s: not a PEM key file", name)
	}
	if len(trimSpace(rest)) > 0 {
		return nil, fail.New(fail.Invalid, "%s: unexpected data after the PEM block", name)
	}
	switch block.Type {
	case "PRIVATE KEY":
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fail.New(fail.Invalid, "%s: malformed PKCS #8 private key", name)
		}
		return privateKey(name, priv)
	case "ENCRYPTED PRIVATE KEY":
		if pass == nil {
			return nil, fail.Wrap(fail.Invalid, fmt.Errorf("%s: %w", name, ErrPassphrase))
		}
		pw, err := pass()
		if err != nil {
			return nil, err
		}
		if len(pw) == 0 {
			return nil, fail.Wrap(fail.Invalid, fmt.Errorf("%s: %w", name, ErrPassphrase))
		}
		priv, _, err := pkcs8.ParsePrivateKey(block.Bytes, pw)
		if err != nil {
			return nil, fail.New(fail.Invalid, "%s: cannot decrypt the private key: wrong passphrase or unsupported encryption (want PKCS #8 PBES2)", name)
		}
		return privateKey(name, priv)
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fail.New(fail.Invalid, "%s: malformed public key", name)
		}
		k, err := fromPublic(pub)
		if err != nil {
			return nil, fail.Wrap(fail.Invalid, fmt.Errorf("%s: %w", name, err))
		}
		return k, nil
	case "ENCRYPTED SIGSTORE PRIVATE KEY":
		return nil, fail.New(fail.Invalid, "%s: sigstore-encrypted private keys are not supported; convert it to PKCS #8", name)
	}
	return nil, fail.New(fail.Invalid, "%s: PEM block %q is not a PRIVATE KEY or PUBLIC KEY", name, block.Type)
}

func privateKey(name string, priv any) (*Key, error) {
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fail.New(fail.Invalid, "%s: unsupported private key type %T", name, priv)
	}
	k, err := fromSigner(s)
	if err != nil {
		return nil, fail.Wrap(fail.Invalid, fmt.Errorf("%s: %w", name, err))
	}
	return k, nil
}

// EncryptedPEM returns the private key as an ENCRYPTED PRIVATE KEY PEM block:
// PKCS #8 with PBES2 (scrypt N=2^15 r=8 p=1, AES-256-CBC), which
// `openssl pkey -in K` also reads.
func (k *Key) EncryptedPEM(passphrase []byte) ([]byte, error) {
	if k.signer == nil {
		return nil, fail.New(fail.Invalid, "key %s has no private half", k.ID)
	}
	if len(passphrase) == 0 {
		return nil, fail.New(fail.Invalid, "empty passphrase")
	}
	der, err := pkcs8.MarshalPrivateKey(k.signer, passphrase, &pkcs8.Opts{
		Cipher:  pkcs8.AES256CBC,
		KDFOpts: pkcs8.ScryptOpts{CostParameter: 1 << 15, BlockSize: 8, ParallelizationParameter: 1, SaltSize: 16},
	})
	if err != nil {
		return nil, fail.New(fail.Internal, "encrypt private key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
