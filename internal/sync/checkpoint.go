package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Sync checkpoints (docs/sync.md "A chain cut at its end",
// migrations/0009_sync_checkpoints.sql). Every sync records the head of the
// site's chain it leaves in PostgreSQL and the time it ran, signed by the
// site key when it has one. PostgreSQL alone still cannot prove its own
// tail, but an auditor who brings the site's public key (`audit verify
// --dsn --key PUB`) can check that the chain still holds the head of every
// checkpoint that key signed and, with --max-sync-age, that the latest is
// recent: a cut back to an earlier sync must also remove the checkpoints
// after it, which the table refuses to every role but the schema owner,
// and leaves the latest one older.

// CheckpointPredicateType is the in-toto predicate type of a sync checkpoint.
const CheckpointPredicateType = "https://stella.dev/attestations/sync-checkpoint@1"

// checkpointsVersion is the schema version that added policy.sync_checkpoints.
const checkpointsVersion = 9

// CheckpointPredicate is what a site signs at the end of each sync.
type CheckpointPredicate struct {
	Tenant    string `json:"tenant"`
	Site      string `json:"site"`
	Target    string `json:"target"`    // policy.meta target_id
	Seq       int64  `json:"seq"`       // the last audit event of the site in PostgreSQL (0: none)
	EventHash string `json:"eventHash"` // its hash (store.GenesisHash for none)
	SyncedAt  string `json:"syncedAt"`  // RFC 3339, UTC, whole seconds: the syncing stella's clock
}

// SyncCheckpoint is a checkpoint as reported.
type SyncCheckpoint struct {
	Seq       int64  `json:"seq"`
	EventHash string `json:"eventHash"`
	SyncedAt  string `json:"syncedAt"`
	KeyID     string `json:"keyId,omitempty"` // "" unsigned
}

// checkpoint records the head of this site's chain in PostgreSQL: the
// local event at the last seq both hold, which PostgreSQL must hold with the
// same hash (a sync never vouches for an event it did not send).
func (p *pusher) checkpoint(ctx context.Context) error {
	rseq, _, err := p.remoteHead(ctx)
	if err != nil {
		return err
	}
	var head store.Checkpoint
	if err := p.st.View(ctx, func(tx *store.Tx) (err error) { head, err = tx.Head(ctx); return err }); err != nil {
		return err
	}
	c := SyncCheckpoint{Seq: min(rseq, head.Seq), EventHash: store.GenesisHash, SyncedAt: p.o.Now.UTC().Truncate(time.Second).Format(time.RFC3339)}
	if c.Seq > 0 {
		var at []store.Event
		if err := p.st.View(ctx, func(tx *store.Tx) (err error) {
			at, err = tx.Events(ctx, store.EventFilter{SinceSeq: c.Seq - 1, Limit: 1})
			return err
		}); err != nil {
			return err
		}
		held, err := eventHash(ctx, p.conn, p.tenant, p.site, c.Seq)
		if err != nil {
			return err
		}
		if len(at) != 1 || at[0].Seq != c.Seq || at[0].EventHash != held {
			return fail.New(fail.Integrity, "audit event %d of site %s, tenant %s, is %s in PostgreSQL but not here: no checkpoint written "+
				"(docs/sync.md \"Restored databases and forks\")", c.Seq, p.site, p.tenant, held)
		}
		c.EventHash = held
	}
	var env []byte
	var keyID *string
	if p.o.Key != nil {
		pred := CheckpointPredicate{Tenant: p.tenant, Site: p.site, Target: p.rep.Target, Seq: c.Seq, EventHash: c.EventHash, SyncedAt: c.SyncedAt}
		name := fmt.Sprintf("%s/%s/audit@%d", p.tenant, p.site, c.Seq)
		var err error
		if env, err = signStatement(ctx, CheckpointPredicateType, attest.SubjectOf(name, c.EventHash), pred, p.o.Key); err != nil {
			return err
		}
		c.KeyID, keyID = p.o.Key.ID, &p.o.Key.ID
	}
	tag, err := p.conn.Exec(ctx, `INSERT INTO policy.sync_checkpoints (tenant, source_site, seq, event_hash, synced_at, key_id, envelope)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, p.tenant, p.site, c.Seq, c.EventHash, c.SyncedAt, keyID, env)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		// A sync of the same head in the same second wrote it already,
		// perhaps signed by another key: report the row PostgreSQL holds.
		var stored *string
		if err := p.conn.QueryRow(ctx, `SELECT key_id FROM policy.sync_checkpoints
			WHERE tenant = $1 AND source_site = $2 AND synced_at = $3 AND seq = $4`, p.tenant, p.site, c.SyncedAt, c.Seq).Scan(&stored); err != nil {
			return err
		}
		c.KeyID = ""
		if stored != nil {
			c.KeyID = *stored
		}
	}
	p.rep.Checkpoint = &c
	return nil
}

// CheckpointCheck is what `audit verify --dsn` found of the sync
// checkpoints: each one's head must be held by its chain; with Keys, those
// signed by one of them must verify and the latest of each site, with
// MaxAge, be recent.
type CheckpointCheck struct {
	Keys   []string          `json:"keys"` // ids of the keys given (--key)
	MaxAge string            `json:"maxAge,omitempty"`
	Sites  []SiteCheckpoints `json:"sites"` // by site id
	// Reason says what could not be checked; "" when everything was.
	Reason string `json:"reason,omitempty"`
}

// SiteCheckpoints are one site's checkpoints.
type SiteCheckpoints struct {
	Site        string `json:"site"`
	Checkpoints int64  `json:"checkpoints"` // all, each held by the chain
	Signed      int64  `json:"signed"`      // verified under a key given
	// Latest is the latest checkpoint verified under a key given (by
	// sync time); nil when none.
	Latest   *SyncCheckpoint `json:"latest,omitempty"`
	latestAt time.Time       // Latest's sync time, as PostgreSQL holds it
}

// CheckpointOptions are what the auditor brings to the checkpoints.
type CheckpointOptions struct {
	Keys   []*attest.Key // public keys of the sites whose checkpoints count (--key)
	MaxAge time.Duration // the latest signed checkpoint of a site must be younger (0: not checked)
	Now    time.Time     // the verification's time, from the CLI
}

// verifyCheckpoints checks the tenant's sync checkpoints against the
// verified chains in rep and the keys of o, and sets rep.Checkpoints. The
// first failure is a fail.Integrity error naming site and checkpoint.
func verifyCheckpoints(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport, schema int, o CheckpointOptions) error {
	cc := &CheckpointCheck{Keys: []string{}, Sites: []SiteCheckpoints{}}
	for _, k := range o.Keys {
		cc.Keys = append(cc.Keys, k.ID)
	}
	if o.MaxAge > 0 {
		cc.MaxAge = o.MaxAge.String()
	}
	rep.Checkpoints = cc
	if schema < checkpointsVersion {
		cc.Reason = fmt.Sprintf("schema %d predates sync checkpoints (%d): nothing in PostgreSQL says where the chains ended; "+
			"the next sync upgrades it and writes one", schema, checkpointsVersion)
		if len(o.Keys) > 0 {
			return fail.New(fail.Integrity, "postgres %s: %s", srv.name, cc.Reason)
		}
		return nil
	}
	target, err := targetID(ctx, conn)
	if err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT c.source_site, c.seq, c.event_hash, c.synced_at, coalesce(c.key_id, ''), c.envelope, e.event_hash
		FROM policy.sync_checkpoints c
		LEFT JOIN policy.audit_events e ON e.tenant = c.tenant AND e.source_site = c.source_site AND e.seq = c.seq
		WHERE c.tenant = $1 ORDER BY c.source_site, c.synced_at, c.seq`, rep.Tenant)
	if err != nil {
		return err
	}
	type row struct {
		site string
		c    SyncCheckpoint
		at   time.Time
		env  []byte
		held *string
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.site, &x.c.Seq, &x.c.EventHash, &x.at, &x.c.KeyID, &x.env, &x.held)
		x.c.SyncedAt = x.at.UTC().Format(time.RFC3339)
		return x, err
	})
	if err != nil {
		return err
	}
	var sc *SiteCheckpoints
	for _, r := range rs {
		if sc == nil || sc.Site != r.site {
			cc.Sites = append(cc.Sites, SiteCheckpoints{Site: r.site})
			sc = &cc.Sites[len(cc.Sites)-1]
		}
		what := fmt.Sprintf("postgres %s, tenant %s, site %s: the sync checkpoint of %s (%s)", srv.name, rep.Tenant, r.site, r.c.SyncedAt, signedBy(r.c.KeyID))
		switch {
		case r.c.Seq == 0:
		case r.held == nil:
			n := rep.held(r.site)
			return fail.New(fail.Integrity, "%s records audit event %d (%s), but the chain there ends at event %d: %s deleted "+
				"(docs/sync.md \"A chain cut at its end\")", what, r.c.Seq, r.c.EventHash, n, eventRange(n+1, r.c.Seq))
		case *r.held != r.c.EventHash:
			return fail.New(fail.Integrity, "%s records audit event %d as %s; the chain there holds %s (rewritten from there)", what, r.c.Seq, r.c.EventHash, *r.held)
		}
		sc.Checkpoints++
		i := slices.IndexFunc(o.Keys, func(k *attest.Key) bool { return k.ID == r.c.KeyID })
		if i < 0 {
			continue
		}
		if err := openCheckpoint(ctx, r.env, o.Keys[i], rep.Tenant, r.site, target, r.c); err != nil {
			return fail.New(fail.Integrity, "%s: %v", what, err)
		}
		sc.Signed++
		c := r.c
		sc.Latest, sc.latestAt = &c, r.at
	}
	if len(o.Keys) == 0 {
		cc.Reason = "no --key: each checkpoint's head is held by its chain, but none was checked against a key you trust; " +
			"events, runs and checkpoints deleted back to an earlier sync cannot be detected from PostgreSQL alone"
		return nil
	}
	var unchecked []string
	for _, s := range cc.Sites {
		if s.Latest == nil {
			unchecked = append(unchecked, s.Site)
			continue
		}
		at := s.latestAt
		if o.MaxAge > 0 && at.Sub(o.Now) > attest.MaxClockSkew {
			return fail.New(fail.Integrity, "postgres %s, tenant %s, site %s: the latest sync checkpoint signed by %s is dated %s, after this machine's clock (%s): "+
				"its age cannot be judged — a checkpoint signed ahead of time stays the latest, and --max-sync-age would not notice the syncs after it deleted "+
				"(docs/sync.md \"A chain cut at its end\")",
				srv.name, rep.Tenant, s.Site, s.Latest.KeyID, s.Latest.SyncedAt, o.Now.UTC().Truncate(time.Second).Format(time.RFC3339))
		}
		if o.MaxAge > 0 && o.Now.Sub(at) > o.MaxAge {
			return fail.New(fail.Integrity, "postgres %s, tenant %s, site %s: the latest sync checkpoint signed by %s is from %s, older than --max-sync-age %s "+
				"(the syncs since were deleted, or the site has not synced since; docs/sync.md \"A chain cut at its end\")",
				srv.name, rep.Tenant, s.Site, s.Latest.KeyID, s.Latest.SyncedAt, o.MaxAge)
		}
	}
	for _, c := range rep.Chains {
		if !slices.ContainsFunc(cc.Sites, func(s SiteCheckpoints) bool { return s.Site == c.Site }) {
			unchecked = append(unchecked, c.Site)
		}
	}
	slices.Sort(unchecked)
	if !slices.ContainsFunc(cc.Sites, func(s SiteCheckpoints) bool { return s.Signed > 0 }) {
		return fail.New(fail.Integrity, "postgres %s, tenant %s: no sync checkpoint there is signed by %s: the end of the chains cannot be checked",
			srv.name, rep.Tenant, keyList(cc.Keys))
	}
	var why []string
	if len(unchecked) > 0 {
		why = append(why, fmt.Sprintf("no sync checkpoint signed by a key given for %s %s: the end of %s chain is not checked",
			siteWord(len(unchecked)), strings.Join(text.First(unchecked, 5), ", "), theirIts(len(unchecked))))
	}
	if o.MaxAge == 0 {
		why = append(why, "no --max-sync-age: events, runs and checkpoints deleted back to an earlier signed sync are not detected; "+
			"compare the latest checkpoint times with when the sites last synced")
	}
	cc.Reason = strings.Join(why, "; ")
	return nil
}

// openCheckpoint verifies a checkpoint's envelope under key and that its
// statement is the row's, written to this database (target): a site that
// syncs to several signs checkpoints of one chain in each, and one copied
// from another database says nothing about this one's tail.
func openCheckpoint(ctx context.Context, raw []byte, key *attest.Key, tenant, site, target string, c SyncCheckpoint) error {
	var p CheckpointPredicate
	if err := openStatement(ctx, "checkpoint", raw, key, "not signed by key "+key.ID, CheckpointPredicateType, &p); err != nil {
		return err
	}
	if p.Tenant != tenant || p.Site != site || p.Seq != c.Seq || p.EventHash != c.EventHash || p.SyncedAt != c.SyncedAt {
		return fmt.Errorf("the signed statement is about %s/%s event %d (%s) at %s, not the row", p.Tenant, p.Site, p.Seq, p.EventHash, p.SyncedAt)
	}
	if p.Target != target {
		return fmt.Errorf("it was written to PostgreSQL database %s, not this one (%s): a checkpoint copied from another database", p.Target, target)
	}
	return nil
}

func signedBy(keyID string) string {
	if keyID == "" {
		return "unsigned"
	}
	return "signed by " + keyID
}

func keyList(ids []string) string {
	if len(ids) == 1 {
		return "key " + ids[0]
	}
	return "any of the keys " + strings.Join(text.First(ids, 5), ", ")
}

func siteWord(n int) string {
	if n == 1 {
		return "site"
	}
	return "sites"
}

func theirIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
