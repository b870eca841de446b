package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Audit checkpoints (docs/bundle.md "Audit checkpoint"): every bundle
// carries the head of the producer's audit chain at export, signed by the
// bundle's signer, so that the chain's tail leaves the site. Verify checks
// it, Import records it in the importing site's log, and `stella audit
// verify --checkpoint` checks a database against it.

// CheckpointPath is the checkpoint's entry; CheckpointType its DSSE
// payload type.
const (
	CheckpointPath = "site/audit-checkpoint.dsse.json"
	CheckpointType = "application/vnd.stella.audit-checkpoint+json"
)

// SignCheckpoint returns the DSSE envelope of c signed by key.
func SignCheckpoint(ctx context.Context, c store.Checkpoint, key *attest.Key) ([]byte, error) {
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
func OpenCheckpoint(ctx context.Context, name string, data []byte, trusted []*attest.Key) (*store.Checkpoint, []string, error) {
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
	var c store.Checkpoint
	if err := dec.Decode(&c); err != nil || c.Schema != store.CheckpointSchema || c.Seq < 0 || !canon.ValidDigest(c.EventHash) {
		return nil, nil, fail.New(fail.Integrity, "%s: not a %s checkpoint", name, store.CheckpointSchema)
	}
	return &c, signers, nil
}
