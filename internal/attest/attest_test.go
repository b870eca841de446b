package attest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/stella-policy/stella/internal/fail"
)

func TestKeys(t *testing.T) {
	for _, typ := range []string{Ed25519, ECDSAP256} {
		t.Run(typ, func(t *testing.T) {
			k, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != typ || !k.CanSign() {
				t.Fatalf("%+v", k)
			}
			pub, _ := k.PublicPEM()
			priv, _ := k.PrivatePEM()
			// The key id is the sha256 of the DER inside the PUBLIC KEY block.
			block, _ := pem.Decode(pub)
			sum := sha256.Sum256(block.Bytes)
			if k.ID != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Fatalf("key id %s", k.ID)
			}
			kp, err := ParsePEM("priv.pem", priv)
			if err != nil || kp.ID != k.ID || !kp.CanSign() {
				t.Fatalf("private round trip: %v", err)
			}
			kq, err := ParsePEM("pub.pem", pub)
			if err != nil || kq.ID != k.ID || kq.CanSign() {
				t.Fatalf("public round trip: %v", err)
			}
		})
	}
	if _, err := Generate("rsa"); !fail.Is(err, fail.Invalid) {
		t.Fatalf("rsa: %v", err)
	}
}

func TestParsePEMErrors(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"not pem", "hello", "not a PEM key file"},
		{"wrong block", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "is not a PRIVATE KEY"},
		{"garbage key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "malformed PKCS #8"},
		{"encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "needs a passphrase"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePEM("k.pem", []byte(tc.in))
			if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "k.pem: ") {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.key")); !fail.Is(err, fail.NotFound) {
		t.Fatalf("missing: %v", err)
	}
	dir := t.TempDir()
	if _, err := LoadFile(dir); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "cannot read") {
		t.Fatalf("directory: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	payload, err := NewStatement(RunPredicateType, []Subject{SubjectOf("finding:1", "sha256:"+strings.Repeat("a", 64))}, map[string]any{"runId": "run:x", "b": []int{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"_type":"https://in-toto.io/Statement/v1","predicate":{"b":[2,1],"runId":"run:x"},"predicateType":"https://stella.dev/attestations/policy.run@1","subject":[{"digest":{"sha256":"` + strings.Repeat("a", 64) + `"},"name":"finding:1"}]}`; string(payload) != want {
		t.Fatalf("statement:\n%s\n%s", payload, want)
	}
	for _, typ := range []string{Ed25519, ECDSAP256} {
		t.Run(typ, func(t *testing.T) {
			k, _ := Generate(typ)
			other, _ := Generate(typ)
			pubPEM, _ := k.PublicPEM()
			pub, _ := ParsePEM("pub", pubPEM)
			env, err := Sign(ctx, PayloadType, payload, k)
			if err != nil {
				t.Fatal(err)
			}
			if env.Signatures[0].KeyID != k.ID {
				t.Fatalf("keyid %s", env.Signatures[0].KeyID)
			}
			got, ids, err := Verify(ctx, env, []*Key{other, pub})
			if err != nil || string(got) != string(payload) || len(ids) != 1 || ids[0] != k.ID {
				t.Fatalf("verify: %v %v", err, ids)
			}
			b, _ := MarshalEnvelope(env)
			env2, err := ParseEnvelope("e.json", b)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := Verify(ctx, env2, []*Key{pub}); err != nil {
				t.Fatal(err)
			}

			bad := []struct {
				name string
				edit func(e Envelope) Envelope
			}{
				{"wrong key", func(e Envelope) Envelope { return e }},
				{"payload", func(e Envelope) Envelope {
					p, _ := base64.StdEncoding.DecodeString(e.Payload)
					p[10] ^= 1
					e.Payload = base64.StdEncoding.EncodeToString(p)
					return e
				}},
				{"payload type", func(e Envelope) Envelope { e.PayloadType = "application/json"; return e }},
				{"signature", func(e Envelope) Envelope {
					s := append([]dsse.Signature(nil), e.Signatures...)
					sig, _ := base64.StdEncoding.DecodeString(s[0].Sig)
					sig[len(sig)-1] ^= 1
					s[0].Sig = base64.StdEncoding.EncodeToString(sig)
					e.Signatures = s
					return e
				}},
			}
			for _, tc := range bad {
				trusted := []*Key{pub}
				if tc.name == "wrong key" {
					trusted = []*Key{other}
				}
				e := tc.edit(*env)
				if _, _, err := Verify(ctx, &e, trusted); !fail.Is(err, fail.Integrity) {
					t.Errorf("%s: %v", tc.name, err)
				}
			}
			if _, err := Sign(ctx, PayloadType, payload, pub); !fail.Is(err, fail.Invalid) {
				t.Errorf("sign with public key: %v", err)
			}
		})
	}
}

func TestEd25519Deterministic(t *testing.T) {
	k, _ := Generate(Ed25519)
	a, _ := Sign(context.Background(), PayloadType, []byte("{}"), k)
	b, _ := Sign(context.Background(), PayloadType, []byte("{}"), k)
	ab, _ := MarshalEnvelope(a)
	bb, _ := MarshalEnvelope(b)
	if string(ab) != string(bb) {
		t.Fatal("ed25519 envelopes differ")
	}
}

func TestParseEnvelopeErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"payloadType":"x"}`, `{"payloadType":"x","payload":"e30=","signatures":[],"extra":1}`, `[]`} {
		if _, err := ParseEnvelope("e.json", []byte(in)); !fail.Is(err, fail.Integrity) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := ParseStatement([]byte(`{"_type":"x","subject":[],"predicateType":"p","predicate":{}}`), ""); !fail.Is(err, fail.Integrity) {
		t.Errorf("statement type: %v", err)
	}
	if _, err := ParseStatement([]byte(`{"_type":"`+StatementType+`","subject":[{"name":"a","digest":{"sha256":"zz"}}],"predicateType":"p","predicate":{}}`), ""); !fail.Is(err, fail.Integrity) {
		t.Errorf("bad digest: %v", err)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	k, _ := Generate(Ed25519)
	env, _ := Sign(context.Background(), PayloadType, []byte(`{"a":1}`), k)
	b, _ := MarshalEnvelope(env)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope("fuzz", b)
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("kind %v", err)
			}
			return
		}
		// Only the genuine envelope may verify.
		if _, _, err := Verify(context.Background(), e, []*Key{k}); err == nil {
			m, _ := MarshalEnvelope(e)
			if string(m) != string(b) && e.Payload != env.Payload {
				t.Fatalf("forged envelope verified: %s", b)
			}
		}
	})
}

func FuzzParsePEM(f *testing.F) {
	k, _ := Generate(ECDSAP256)
	p, _ := k.PrivatePEM()
	q, _ := k.PublicPEM()
	f.Add(p)
	f.Add(q)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParsePEM("fuzz", b); err != nil && !fail.Is(err, fail.Invalid) {
			t.Fatalf("kind %v", err)
		}
	})
}

// FuzzVerifyRun is `policy verify`'s input: a signed envelope whose payload
// is arbitrary bytes (signed here, so they get past the signature to the
// statement parser) must verify to a run or fail as an integrity problem,
// never panic; the statement parser alone is held to the same.
func FuzzVerifyRun(f *testing.F) {
	k, _ := Generate(Ed25519)
	rec := []byte(`{"runId":"run:x","policy":{"id":"P-1"},"outputs":{"findings":"sha256:` + strings.Repeat("a", 64) + `"}}`)
	good, _ := RunStatement(rec, []Subject{SubjectOf("findings", "sha256:"+strings.Repeat("a", 64))})
	f.Add(good)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"` + RunPredicateType + `","predicate":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if _, err := ParseStatement(payload, RunPredicateType); err != nil && !fail.Is(err, fail.Integrity) && !fail.Is(err, fail.Invalid) {
			t.Fatalf("ParseStatement: kind %v", err)
		}
		env, err := Sign(context.Background(), PayloadType, payload, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyRun(context.Background(), env, []*Key{k}); err != nil && !fail.Is(err, fail.Integrity) && !fail.Is(err, fail.Invalid) {
			t.Fatalf("VerifyRun: kind %v", err)
		}
	})
}
