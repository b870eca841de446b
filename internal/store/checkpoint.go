package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Signed checkpoints of the audit head (docs/store.md "Audit log",
// docs/bundle.md "Audit checkpoint"): the anchor file keeps the last one a
// key signed, every bundle carries one.

// CheckpointType is the DSSE payload type of a signed checkpoint.
const CheckpointType = "application/vnd.stella.audit-checkpoint+json"

// SignCheckpoint returns the DSSE envelope of c signed by key.
func SignCheckpoint(ctx context.Context, c Checkpoint, key *attest.Key) ([]byte, error) {
	raw, err := canon.Marshal(c)
	if err != nil {
		return nil, err
	}
	env, err := attest.Sign(ctx, CheckpointType, raw, key)
	if err != nil {
		return nil, err
	}
	return attest.MarshalEnvelope(env)
}

// OpenCheckpoint verifies a checkpoint envelope (name is for messages)
// with the trusted keys and returns the checkpoint and the ids of the keys
// that signed it. Every failure is fail.Integrity.
func OpenCheckpoint(ctx context.Context, name string, data []byte, trusted []*attest.Key) (*Checkpoint, []string, error) {
	env, err := attest.ParseEnvelope(name, data)
	if err != nil {
		return nil, nil, fail.Wrap(fail.Integrity, err)
	}
	if env.PayloadType != CheckpointType {
		return nil, nil, fail.New(fail.Integrity, "%s: payload type %q is not %q", name, env.PayloadType, CheckpointType)
	}
	if len(trusted) == 0 {
		return nil, nil, fail.New(fail.Integrity, "%s: no trusted key given to check the checkpoint's signature", name)
	}
	payload, signers, err := attest.Verify(ctx, env, trusted)
	if err != nil {
		return nil, nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: %w", name, err))
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var c Checkpoint
	if err := dec.Decode(&c); err != nil || c.Schema != CheckpointSchema || c.Seq < 0 || !canon.ValidDigest(c.EventHash) {
		return nil, nil, fail.New(fail.Integrity, "%s: not a %s checkpoint", name, CheckpointSchema)
	}
	return &c, signers, nil
}

// KeySigner signs checkpoints with key (Tx.SignHead); nil for no key.
func KeySigner(key *attest.Key) HeadSigner {
	if key == nil || !key.CanSign() {
		return nil
	}
	return func(ctx context.Context, c Checkpoint) ([]byte, error) { return SignCheckpoint(ctx, c, key) }
}
