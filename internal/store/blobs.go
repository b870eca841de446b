package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Media types of the blobs stella stores.
const (
	MediaIR        = "application/vnd.stella.ir+json"
	MediaSourceMap = "application/vnd.stella.sourcemap+json"
	MediaSet       = "application/vnd.stella.set+json" // a set run's members (policyset.Digest)
	MediaSource    = "text/x-stella"
	MediaJSON      = "application/json"
	MediaOctets    = "application/octet-stream"
)

// PutBlob stores data under its digest and returns the digest. Storing the
// same bytes again is a no-op: blobs are deduplicated per tenant.
func (t *Tx) PutBlob(ctx context.Context, mediaType string, data []byte) (string, error) {
	d := canon.Digest(data)
	if data == nil {
		data = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO blobs (tenant, digest, media_type, size, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, digest) DO NOTHING`, t.tenant, d, mediaType, len(data), data)
	if err != nil {
		return "", err
	}
	return d, nil
}

// Blob returns the bytes stored under digest, after checking that they still
// hash to it.
func (t *Tx) Blob(ctx context.Context, digest string) ([]byte, error) {
	var data []byte
	err := t.queryRow(ctx, `SELECT data FROM blobs WHERE tenant = ? AND digest = ?`, t.tenant, digest).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "blob %s not found", digest)
	}
	if err != nil {
		return nil, err
	}
	if got := canon.Digest(data); got != digest {
		return nil, fail.Wrap(fail.Integrity, &BlobMismatch{Digest: digest, Got: got})
	}
	return data, nil
}

// BlobMismatch is a stored blob whose bytes do not hash to its digest.
type BlobMismatch struct {
	Digest string // the digest it is stored under
	Got    string // what its bytes hash to
}

func (e *BlobMismatch) Error() string {
	return fmt.Sprintf("blob %s: stored bytes hash to %s", e.Digest, e.Got)
}
