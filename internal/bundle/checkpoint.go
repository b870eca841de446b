package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
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

// CheckCheckpoints checks the chain of st against each checkpoint file: a
// checkpoint envelope, or a bundle whose CheckpointPath entry is read,
// signed by one of the trusted keys (audit verify --checkpoint). A chain
// that no longer holds a checkpoint's event is fail.Integrity naming the
// file.
func CheckCheckpoints(ctx context.Context, st *store.Store, paths []string, trusted []*attest.Key) ([]store.Checkpoint, error) {
	var out []store.Checkpoint
	for _, path := range paths {
		data, name, err := checkpointFile(path)
		if err != nil {
			return nil, err
		}
		c, _, err := OpenCheckpoint(ctx, name, data, trusted)
		if err != nil {
			return nil, err
		}
		if err := st.View(ctx, func(tx *store.Tx) error { return tx.CheckCheckpoint(ctx, *c) }); err != nil {
			return nil, fail.Wrap(fail.KindOf(err), fmt.Errorf("%s: %w", name, err))
		}
		out = append(out, *c)
	}
	return out, nil
}

// checkpointFile reads a checkpoint envelope, or the one a bundle carries.
func checkpointFile(path string) ([]byte, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fail.New(fail.NotFound, "checkpoint %s does not exist", path)
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", fail.New(fail.Invalid, "checkpoint %s: %v", path, err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return data, path, nil
	}
	b, err := Read(bytes.NewReader(data), Limits{})
	if err != nil {
		return nil, "", fail.Wrap(fail.KindOf(err), fmt.Errorf("bundle %s: %w", path, err))
	}
	defer b.Close()
	cp, ok := b.File(CheckpointPath)
	if !ok {
		return nil, "", fail.New(fail.Integrity, "bundle %s carries no %s (exported before bundles carried checkpoints)", path, CheckpointPath)
	}
	return cp, path + ":" + CheckpointPath, nil
}
