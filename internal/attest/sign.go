package attest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
)

// The two signature schemes of a Key, called directly on the standard
// library: Ed25519 over the message, ECDSA P-256 over its SHA-256 with an
// ASN.1 DER signature. These are the calls sigstore's signature package
// makes for these key types (TestSignLikeSigstore holds them equal: same
// Ed25519 bytes, each side verifies the other's, the same signatures
// refused); linking that package initialised protobuf descriptors and
// container-registry regexps at every start (docs/performance.md).

// sign returns k's signature of msg.
func (k *Key) sign(msg []byte) ([]byte, error) {
	switch p := k.signer.(type) {
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return nil, errors.New("invalid size for ED25519 key")
		}
		return ed25519.Sign(p, msg), nil
	case *ecdsa.PrivateKey:
		sum := sha256.Sum256(msg)
		return ecdsa.SignASN1(rand.Reader, p, sum[:])
	}
	return nil, errors.New("unsupported private key type")
}

// verify checks sig over msg with k's public key. An ECDSA signature that
// is not ASN.1 is read as IEEE P1363 (r || s), as sigstore's verifier
// reads it.
func (k *Key) verify(msg, sig []byte) error {
	switch p := k.Public.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return errors.New("invalid size for ED25519 key")
		}
		if !ed25519.Verify(p, msg, sig) {
			return errors.New("failed to verify signature")
		}
		return nil
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(msg)
		if !p.IsOnCurve(p.X, p.Y) { // as sigstore checks before VerifyASN1
			return errors.New("invalid ECDSA public key")
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err == nil {
			if !ecdsa.VerifyASN1(p, sum[:], sig) {
				return errors.New("invalid signature when validating ASN.1 encoded signature")
			}
			return nil
		}
		if len(sig) == 0 || len(sig) > 132 || len(sig)%2 != 0 {
			return errors.New("ecdsa: invalid IEEE P1363 encoded bytes")
		}
		r := new(big.Int).SetBytes(sig[:len(sig)/2])
		s := new(big.Int).SetBytes(sig[len(sig)/2:])
		if !ecdsa.Verify(p, sum[:], r, s) {
			return errors.New("invalid signature when validating IEEE P1363 encoded signature")
		}
		return nil
	}
	return errors.New("unsupported public key type")
}
