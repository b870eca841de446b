package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/pgtest"
)

// TestSyncCheckpointOtherTarget: a checkpoint signs the PostgreSQL
// database it was written to (policy.meta target_id). A site that syncs to
// two databases signs checkpoints of the same chain in both; one copied
// from the other database (here with a later time, so it would become the
// latest and satisfy --max-sync-age) fails under the key instead of
// vouching for this database's tail (docs/sync.md "A chain cut at its end").
func TestSyncCheckpointOtherTarget(t *testing.T) {
	ctx := context.Background()
	dsn, other := pgtest.DB(t), pgtest.DB(t)
	key := siteKey(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rep := mustPush(t, st, dsn, Options{Key: key, Now: t1})
	mustPush(t, st, other, Options{Key: key, Now: t1.Add(24 * time.Hour)})
	var seq int64
	var hash string
	var at time.Time
	var env []byte
	if err := pgConnect(t, other).QueryRow(ctx, `SELECT seq, event_hash, synced_at, envelope FROM policy.sync_checkpoints`).Scan(&seq, &hash, &at, &env); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pgConnect(t, dsn), `INSERT INTO policy.sync_checkpoints (tenant, source_site, seq, event_hash, synced_at, key_id, envelope)
		VALUES ('acme', $1, $2, $3, $4, $5, $6)`, rep.Site, seq, hash, at, key.ID, env)
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: CheckpointOptions{Keys: []*attest.Key{key}, MaxAge: time.Hour, Now: t1.Add(24 * time.Hour)}})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "the sync checkpoint of 2026-12-02T10:00:00Z (signed by "+key.ID+"): it was written to PostgreSQL database ") {
		t.Fatalf("a checkpoint of another database: %v", err)
	}
}

// TestSyncCheckpointFromTheFuture: a holder of the site key can sign a
// checkpoint dated years ahead while they still hold it; left in
// PostgreSQL it stays the latest and "young", so --max-sync-age would never
// again notice the syncs after it deleted. A checkpoint dated after the
// verification's clock (beyond the bundle clock skew) is refused.
func TestSyncCheckpointFromTheFuture(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	key := siteKey(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mustPush(t, st, dsn, Options{Key: key, Now: t1})
	mustPush(t, st, dsn, Options{Key: key, Now: t1.AddDate(3, 0, 0)})
	o := CheckpointOptions{Keys: []*attest.Key{key}, MaxAge: 6 * time.Hour, Now: t1.Add(time.Hour)}
	_, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: o})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "is dated 2029-12-01T10:00:00Z, after this machine's clock (2026-12-01T11:00:00Z)") {
		t.Fatalf("a checkpoint from the future: %v", err)
	}
	// A few minutes ahead is clock skew, not a refusal.
	o.Now = t1.AddDate(3, 0, 0).Add(-4 * time.Minute)
	if _, err := VerifyAudit(ctx, dsn, "acme", Retry{}, AuditOptions{CheckpointOptions: o}); err != nil {
		t.Fatal(err)
	}
}
