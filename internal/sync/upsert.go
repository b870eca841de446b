package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// upsert writes rows into t within tx: COPY into a staging table dropped at
// commit, one INSERT … ON CONFLICT from there, then a check that every key
// that was already present holds the same content. It returns how many rows
// were inserted and updated.
func (p *pusher) upsert(ctx context.Context, tx pgx.Tx, t *table, rows [][]any) (inserted, updated int64, err error) {
	if err := stage(ctx, tx, t, rows); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRow(ctx, t.upsertSQL()).Scan(&inserted, &updated); err != nil {
		return 0, 0, err
	}
	if err := p.conflicts(ctx, tx, t); err != nil {
		return 0, 0, err
	}
	return inserted, updated, nil
}

// stage copies rows of t into the staging table stella_stage_<t>, which
// lives until tx commits (one per table and transaction).
func stage(ctx context.Context, tx pgx.Tx, t *table, rows [][]any) error {
	cols := t.remoteCols()
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE stella_stage_%s ON COMMIT DROP AS SELECT %s FROM policy.%s WITH NO DATA`,
		t.name, strings.Join(cols, ", "), t.name)); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stella_stage_" + t.name}, cols, pgx.CopyFromRows(rows))
	return err
}

// upsertSQL inserts the staged rows and counts the rows inserted and
// updated ((xmax = 0) holds for a row this statement inserted).
func (t *table) upsertSQL() string {
	cols := t.remoteCols()
	var sets, mine, theirs []string
	for _, c := range cols {
		if !slices.Contains(t.key, c) {
			sets = append(sets, c+" = EXCLUDED."+c)
			mine = append(mine, "t."+c)
			theirs = append(theirs, "EXCLUDED."+c)
		}
	}
	action := "DO NOTHING"
	switch t.kind {
	case owned:
		action = fmt.Sprintf("DO UPDATE SET %s, synced_at = now() WHERE (%s) IS DISTINCT FROM (%s)",
			strings.Join(sets, ", "), strings.Join(mine, ", "), strings.Join(theirs, ", "))
	case runs:
		// A stored failure gives way to a success, from any site; a run
		// its site recorded unsigned and signed later gets its attestation.
		action = fmt.Sprintf("DO UPDATE SET %s, synced_at = now() WHERE t.status = 'failed' AND EXCLUDED.status = 'succeeded'"+
			" OR t.attestation IS NULL AND EXCLUDED.attestation IS NOT NULL AND t.source_site = EXCLUDED.source_site AND t.record = EXCLUDED.record",
			strings.Join(sets, ", "))
	}
	list := strings.Join(cols, ", ")
	return fmt.Sprintf(`WITH up AS (
		INSERT INTO policy.%s AS t (%s) SELECT %s FROM stella_stage_%s ON CONFLICT (%s) %s RETURNING (xmax = 0) AS inserted)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`,
		t.name, list, list, t.name, strings.Join(t.key, ", "), action)
}

// conflicts refuses the batch when a staged row's key is stored with
// different content. Running after the insert, it also sees rows that a
// concurrent sync committed meanwhile.
func (p *pusher) conflicts(ctx context.Context, tx pgx.Tx, t *table) error {
	if len(t.compare) == 0 {
		return nil
	}
	var s, d []string
	for _, c := range t.compare {
		s = append(s, "s."+c)
		d = append(d, "d."+c)
	}
	cond := fmt.Sprintf("(%s) IS DISTINCT FROM (%s)", strings.Join(s, ", "), strings.Join(d, ", "))
	if t.kind == runs {
		cond += " AND s.status = 'succeeded' AND d.status = 'succeeded'"
	}
	var keys []string
	for _, k := range t.key {
		if k != "tenant" && k != "source_site" {
			keys = append(keys, "s."+k+"::text")
		}
	}
	q := fmt.Sprintf(`SELECT concat_ws('/', %s), d.source_site, %s FROM stella_stage_%s s JOIN policy.%s d USING (%s) WHERE %s LIMIT 1`,
		strings.Join(keys, ", "), conflictDetail(t), t.name, t.name, strings.Join(t.key, ", "), cond)
	var key, other, detail string
	err := tx.QueryRow(ctx, q).Scan(&key, &other, &detail)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	who := "site " + other
	if other == p.site {
		who = "this site, earlier"
	}
	switch t.name {
	case "runs":
		return fail.New(fail.Integrity, "run %s is already in PostgreSQL with different content, sent by %s (%s); "+
			"the same run id must give the same result: refusing to overwrite it", key, who, detail)
	case "audit_events":
		return fail.New(fail.Integrity, "audit event %s of site %s differs from the copy in PostgreSQL (sent by %s): "+
			"the local audit log was rewritten or restored from an older backup, or another database shares this site id; refusing to overwrite it", key, p.site, who)
	}
	return fail.New(fail.Integrity, "%s %s is already in PostgreSQL with different content, sent by %s; refusing to overwrite it",
		strings.TrimSuffix(t.name, "s"), key, who)
}

// conflictDetail is an SQL expression describing how the staged row s and
// the stored row d differ.
func conflictDetail(t *table) string {
	if t.kind == runs {
		return `format('findings %s here, %s there', s.findings_digest, d.findings_digest)`
	}
	return `''`
}

// checkChain verifies audit events before they are sent: each link from
// the event before it, the first one from its predecessor in PostgreSQL.
func (p *pusher) checkChain(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	events := make([]store.Event, len(rows))
	for i, r := range rows {
		e, err := auditEvent(r)
		if err != nil {
			return err
		}
		events[i] = e
	}
	chain := store.NewChain(p.tenant)
	if first := events[0].Seq; first > 1 {
		prev, err := eventHash(ctx, tx, p.tenant, p.site, first-1)
		if errors.Is(err, pgx.ErrNoRows) {
			return fail.New(fail.Integrity, "audit event %d of site %s cannot be linked: event %d is not in PostgreSQL "+
				"(was the shared database restored from an older backup?)", first, p.site, first-1)
		}
		if err != nil {
			return err
		}
		chain = store.ResumeChain(p.tenant, first-1, prev)
	}
	for _, e := range events {
		if err := chain.Add(e); err != nil {
			return fail.New(fail.Integrity, "local audit log of tenant %s: %v; nothing was sent (run `stella store check`)", p.tenant, err)
		}
	}
	return nil
}

// checkFork runs before a sync sends any row, after the site's identity
// (checkSite; docs/sync.md "Restored databases and forks"): the local audit chain
// must extend the one this site already sent. The events at the shorter
// chain's head must be the same event (hashes chain, so the events before
// agree too), and every local event after PostgreSQL's head must link from
// it. Otherwise the runs and findings those events record belong to
// another history, and none of them is sent.
func (p *pusher) checkFork(ctx context.Context) error {
	var rseq int64
	rhash := store.GenesisHash
	if p.rep.Target != "" { // else a dry run before the schema exists
		var err error
		if rseq, rhash, err = p.remoteHead(ctx); err != nil {
			return err
		}
	}
	var head store.Checkpoint
	var at []store.Event
	err := p.st.View(ctx, func(tx *store.Tx) (err error) {
		if head, err = tx.Head(ctx); err != nil {
			return err
		}
		at, err = tx.Events(ctx, store.EventFilter{SinceSeq: rseq - 1, Limit: 1})
		return err
	})
	if err != nil {
		return err
	}
	seq, local := rseq, ""
	switch {
	case rseq == 0:
	case head.Seq < rseq: // restored from an older backup: compare at the local head
		seq, local = head.Seq, head.EventHash
		if seq > 0 {
			rhash, err = eventHash(ctx, p.conn, p.tenant, p.site, seq)
			if errors.Is(err, pgx.ErrNoRows) {
				rhash = ""
			} else if err != nil {
				return err
			}
		}
	case len(at) == 1 && at[0].Seq == rseq:
		local = at[0].EventHash
	}
	if seq > 0 && local != rhash {
		return fail.New(fail.Integrity, "audit event %d of site %s, tenant %s, is %s here but %s in PostgreSQL: the local audit chain forked "+
			"from the one this site already sent (the database was restored from an older backup and written to since, or another "+
			"database shares this site id); nothing was sent (docs/sync.md \"Restored databases and forks\")", seq, p.site, p.tenant, orNone(local), orNone(rhash))
	}
	if head.Seq <= rseq {
		return nil
	}
	chain := store.ResumeChain(p.tenant, rseq, rhash)
	for after := rseq; after < head.Seq; {
		var page []store.Event
		err := p.st.View(ctx, func(tx *store.Tx) (err error) {
			page, err = tx.Events(ctx, store.EventFilter{SinceSeq: after, Limit: 1000})
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if err := chain.Add(e); err != nil {
				return fail.New(fail.Integrity, "local audit log of tenant %s: %v; nothing was sent (run `stella store check`)", p.tenant, err)
			}
		}
		after = page[len(page)-1].Seq
	}
	return nil
}

// remoteHead returns the last audit event of this site's chain in
// PostgreSQL: its seq and hash (0 and store.GenesisHash when it holds
// none).
func (p *pusher) remoteHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := p.conn.QueryRow(ctx, `SELECT seq, event_hash FROM policy.audit_events WHERE tenant = $1 AND source_site = $2
		ORDER BY seq DESC LIMIT 1`, p.tenant, p.site).Scan(&seq, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, store.GenesisHash, nil
	}
	return seq, hash, err
}

// orNone names a missing event hash.
func orNone(hash string) string {
	if hash == "" {
		return "missing"
	}
	return hash
}

// auditEvent reads a converted audit_events row (remoteCols order).
func auditEvent(r []any) (store.Event, error) {
	t := tableNamed("audit_events")
	var e store.Event
	for i, c := range t.remoteCols() {
		v := r[i]
		var ok bool
		switch c {
		case "seq":
			e.Seq, ok = v.(int64)
		case "type":
			e.Type, ok = v.(string)
		case "at":
			e.At, ok = v.(string)
		case "actor":
			e.Actor, ok = v.(string)
		case "subject":
			e.Subject, ok = v.(string)
		case "payload":
			var s string
			s, ok = v.(string)
			e.Payload = json.RawMessage(s)
		case "previous_hash":
			e.PreviousHash, ok = v.(string)
		case "event_hash":
			e.EventHash, ok = v.(string)
		default:
			ok = true
		}
		if !ok {
			return e, fail.New(fail.Integrity, "local audit event: column %s is %T", c, v)
		}
	}
	return e, nil
}
