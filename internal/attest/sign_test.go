package attest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
)

// TestSignLikeSigstore holds Key.sign/verify equal to sigstore's signature
// package, the reference they replace (sign.go): Ed25519 signatures are
// the same bytes, each side verifies the other's signatures, and both
// refuse the same altered, truncated, re-encoded and foreign signatures.
func TestSignLikeSigstore(t *testing.T) {
	for _, typ := range []string{Ed25519, ECDSAP256} {
		t.Run(typ, func(t *testing.T) {
			k, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			other, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := signature.LoadSignerVerifier(k.signer, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			refVerify := func(msg, sig []byte) error {
				return ref.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg))
			}
			for i, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("DSSEv1 payload "), 1000)} {
				ours, err := k.sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				theirs, err := ref.SignMessage(bytes.NewReader(msg))
				if err != nil {
					t.Fatal(err)
				}
				if typ == Ed25519 && !bytes.Equal(ours, theirs) {
					t.Fatalf("msg %d: ed25519 signatures differ", i)
				}
				if err := refVerify(msg, ours); err != nil {
					t.Fatalf("msg %d: sigstore refuses ours: %v", i, err)
				}
				if err := k.verify(msg, theirs); err != nil {
					t.Fatalf("msg %d: we refuse sigstore's: %v", i, err)
				}
				foreign, _ := other.sign(msg)
				for name, sig := range variants(t, k, msg, ours, foreign) {
					want := refVerify(msg, sig) == nil
					if got := k.verify(msg, sig) == nil; got != want {
						t.Errorf("msg %d, %s: we accept=%v, sigstore accept=%v", i, name, got, want)
					}
				}
				if k.verify(append(msg, 'y'), ours) == nil || refVerify(append(msg, 'y'), ours) == nil {
					t.Errorf("msg %d: a signature verified over another message", i)
				}
			}
		})
	}
}

// variants returns signatures to judge: the valid one, altered copies, a
// foreign key's, and for ECDSA the same signature in IEEE P1363 form,
// which sigstore's verifier also reads.
func variants(t *testing.T, k *Key, msg, sig, foreign []byte) map[string][]byte {
	v := map[string][]byte{
		"valid":     sig,
		"empty":     nil,
		"truncated": sig[:len(sig)-1],
		"extended":  append(append([]byte{}, sig...), 0),
		"foreign":   foreign,
		"garbage":   bytes.Repeat([]byte{0x30}, 64),
	}
	for _, at := range []int{0, 1, len(sig) / 2, len(sig) - 1} {
		c := append([]byte{}, sig...)
		c[at] ^= 0x01
		v[fmt.Sprintf("flip@%d", at)] = c
	}
	if p, ok := k.signer.(*ecdsa.PrivateKey); ok {
		sum := sha256.Sum256(msg)
		r, s, err := ecdsa.Sign(rand.Reader, p, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		p1363 := make([]byte, 64)
		r.FillBytes(p1363[:32])
		s.FillBytes(p1363[32:])
		v["p1363"] = p1363
		bad := append([]byte{}, p1363...)
		bad[40] ^= 0x80
		v["p1363-altered"] = bad
		v["p1363-odd"] = p1363[:63]
	}
	return v
}
