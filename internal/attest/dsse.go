package attest

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"sort"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/stella-policy/stella/internal/fail"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope.
type Envelope = dsse.Envelope

// Sign wraps payload in a DSSE envelope signed by each key. The signature's
// keyid is the key id.
func Sign(ctx context.Context, payloadType string, payload []byte, keys ...*Key) (*Envelope, error) {
	var signers []dsse.Signer
	for _, k := range keys {
		if !k.CanSign() {
			return nil, fail.New(fail.Invalid, "key %s is a public key; signing needs the private key file", k.ID)
		}
		signers = append(signers, adapter{k})
	}
	es, err := dsse.NewEnvelopeSigner(signers...)
	if err != nil {
		return nil, err
	}
	return es.SignPayload(ctx, payloadType, payload)
}

// MarshalEnvelope returns the envelope as JSON, one line.
func MarshalEnvelope(env *Envelope) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseEnvelope reads a DSSE envelope. Anything that is not one is an
// integrity failure: the file under verification is not what it claims.
func ParseEnvelope(name string, b []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var env Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, fail.New(fail.Integrity, "%s: not a DSSE envelope: %v", name, err)
	}
	if dec.More() {
		return nil, fail.New(fail.Integrity, "%s: trailing data after the DSSE envelope", name)
	}
	if env.PayloadType == "" || env.Payload == "" || len(env.Signatures) == 0 {
		return nil, fail.New(fail.Integrity, "%s: DSSE envelope without payloadType, payload or signatures", name)
	}
	return &env, nil
}

// Verify checks that at least one signature of env was made by one of the
// trusted keys over its payload and payload type, and returns the payload
// and the ids of the keys whose signatures verified (sorted). Any failure
// is fail.Integrity.
func Verify(ctx context.Context, env *Envelope, trusted []*Key) ([]byte, []string, error) {
	if len(trusted) == 0 {
		return nil, nil, fail.New(fail.Invalid, "no trusted keys to verify with (give --key PUB)")
	}
	var verifiers []dsse.Verifier
	seen := map[string]bool{}
	for _, k := range trusted {
		if seen[k.ID] {
			continue // duplicate keys would be counted once anyway
		}
		seen[k.ID] = true
		verifiers = append(verifiers, adapter{k})
	}
	ev, err := dsse.NewEnvelopeVerifier(verifiers...)
	if err != nil {
		return nil, nil, err
	}
	accepted, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		ids := make([]string, 0, len(env.Signatures))
		for _, s := range env.Signatures {
			ids = append(ids, s.KeyID)
		}
		if errors.Is(err, dsse.ErrNoSignature) {
			return nil, nil, fail.New(fail.Integrity, "the envelope has no signatures")
		}
		return nil, nil, fail.New(fail.Integrity, "signature verification failed: no signature by a trusted key verifies (signed by %v; trusted %d key(s))", ids, len(verifiers))
	}
	ids := make([]string, len(accepted))
	for i, a := range accepted {
		ids[i] = a.KeyID
	}
	sort.Strings(ids)
	return payload, ids, nil
}

// adapter lets a Key sign and verify for go-securesystemslib's DSSE code,
// with stella's key id.
type adapter struct{ key *Key }

func (a adapter) KeyID() (string, error)   { return a.key.ID, nil }
func (a adapter) Public() crypto.PublicKey { return a.key.Public }

func (a adapter) Sign(_ context.Context, data []byte) ([]byte, error) {
	return a.key.sign(data)
}

func (a adapter) Verify(_ context.Context, data, sig []byte) error {
	return a.key.verify(data, sig)
}
