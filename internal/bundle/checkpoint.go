package bundle

import (
	"context"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/store"
)

// Audit checkpoints (docs/bundle.md "Audit checkpoint"): every bundle
// carries the head of the producer's audit chain at export, signed by the
// bundle's signer, so that the chain's tail leaves the site. Verify checks
// it, Import records it in the importing site's log, and `stella audit
// verify --checkpoint` checks a database against it.

// CheckpointPath is the checkpoint's entry; CheckpointType its DSSE
// payload type (store.CheckpointType).
const (
	CheckpointPath = "site/audit-checkpoint.dsse.json"
	CheckpointType = store.CheckpointType
)

// SignCheckpoint returns the DSSE envelope of c signed by key
// (store.SignCheckpoint).
func SignCheckpoint(ctx context.Context, c store.Checkpoint, key *attest.Key) ([]byte, error) {
	return store.SignCheckpoint(ctx, c, key)
}

// OpenCheckpoint verifies a checkpoint envelope (store.OpenCheckpoint).
func OpenCheckpoint(ctx context.Context, name string, data []byte, trusted []*attest.Key) (*store.Checkpoint, []string, error) {
	return store.OpenCheckpoint(ctx, name, data, trusted)
}
