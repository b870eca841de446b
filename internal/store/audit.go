package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// GenesisHash is the previous_hash of the first event of every chain.
const GenesisHash = canon.Prefix + "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one audit event. Events form one hash chain per tenant:
// EventHash is the digest of the canonical JSON of every other field
// (HashedEvent), and PreviousHash is the EventHash of the event before it.
type Event struct {
	Seq          int64           `json:"seq"`
	Type         string          `json:"type"` // policy.run.started, policy.approved, …
	At           string          `json:"at"`   // wall clock, RFC 3339 UTC
	Actor        string          `json:"actor"`
	Subject      string          `json:"subject"` // what it is about: a run id, policy id, key id
	Payload      json.RawMessage `json:"payload"` // canonical JSON object
	PreviousHash string          `json:"previousHash"`
	EventHash    string          `json:"eventHash"`
}

// hashedEvent is what EventHash covers.
type hashedEvent struct {
	Tenant       string          `json:"tenant"`
	Seq          int64           `json:"seq"`
	Type         string          `json:"type"`
	At           string          `json:"at"`
	Actor        string          `json:"actor"`
	Subject      string          `json:"subject"`
	Payload      json.RawMessage `json:"payload"`
	PreviousHash string          `json:"previousHash"`
}

// EventHash computes the hash of e as an event of tenant's chain.
func EventHash(tenant string, e Event) (string, error) {
	_, d, err := canon.DigestOf(hashedEvent{Tenant: tenant, Seq: e.Seq, Type: e.Type, At: e.At, Actor: e.Actor,
		Subject: e.Subject, Payload: e.Payload, PreviousHash: e.PreviousHash})
	return d, err
}

// Append adds an event to the tenant's audit chain. payload is marshalled
// to canonical JSON (nil gives {}). Appends are serialised by the write
// transaction, so concurrent processes extend one chain.
func (t *Tx) Append(ctx context.Context, typ, actor, subject string, payload any) (Event, error) {
	if typ == "" {
		return Event{}, fail.New(fail.Invalid, "audit event without a type")
	}
	body := []byte("{}")
	if payload != nil {
		b, err := canon.Marshal(payload)
		if err != nil {
			return Event{}, fmt.Errorf("audit %s payload: %w", typ, err)
		}
		body = b
	}
	e := Event{Type: typ, At: timeText(t.s.Now()), Actor: actor, Subject: subject, Payload: body, PreviousHash: GenesisHash}
	var last sql.NullInt64
	var prev sql.NullString
	err := t.queryRow(ctx, `SELECT seq, event_hash FROM audit_events WHERE tenant = ? ORDER BY seq DESC LIMIT 1`, t.tenant).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Event{}, err
	}
	e.Seq = last.Int64 + 1
	if prev.Valid {
		e.PreviousHash = prev.String
	}
	h, err := EventHash(t.tenant, e)
	if err != nil {
		return Event{}, err
	}
	e.EventHash = h
	_, err = t.exec(ctx, `INSERT INTO audit_events (tenant, seq, type, at, actor, subject, payload, previous_hash, event_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.tenant, e.Seq, e.Type, e.At, e.Actor, e.Subject, string(e.Payload), e.PreviousHash, e.EventHash)
	if err != nil {
		return Event{}, err
	}
	t.head = &e
	return e, nil
}

// EventFilter selects audit events. Zero values select everything.
type EventFilter struct {
	Type     string // exact type, or a prefix ending in "." or "*" ("policy.run.")
	Subject  string
	SinceSeq int64 // only events with seq > SinceSeq
	Since    string
	Limit    int
}

// Events returns the tenant's audit events in chain order.
func (t *Tx) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	q := `SELECT seq, type, at, actor, subject, payload, previous_hash, event_hash FROM audit_events WHERE tenant = ? AND seq > ?`
	args := []any{t.tenant, f.SinceSeq}
	if f.Type != "" {
		if p, ok := strings.CutSuffix(f.Type, "*"); ok {
			q += ` AND type LIKE ? ESCAPE '\'`
			args = append(args, likeEscape(p)+"%")
		} else if strings.HasSuffix(f.Type, ".") {
			q += ` AND type LIKE ? ESCAPE '\'`
			args = append(args, likeEscape(f.Type)+"%")
		} else {
			q += ` AND type = ?`
			args = append(args, f.Type)
		}
	}
	if f.Subject != "" {
		q += ` AND subject = ?`
		args = append(args, f.Subject)
	}
	if f.Since != "" {
		q += ` AND at >= ?`
		args = append(args, f.Since)
	}
	q += ` ORDER BY seq`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload string
		if err := rows.Scan(&e.Seq, &e.Type, &e.At, &e.Actor, &e.Subject, &payload, &e.PreviousHash, &e.EventHash); err != nil {
			return nil, err
		}
		e.Payload = json.RawMessage(payload)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChainError says where an audit chain breaks.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// VerifyChain recomputes the tenant's whole chain and returns the number of
// events. The first broken link is returned as a fail.Integrity error
// wrapping a *ChainError.
func (t *Tx) VerifyChain(ctx context.Context) (int, error) {
	events, err := t.Events(ctx, EventFilter{})
	if err != nil {
		return 0, err
	}
	prev := GenesisHash
	for i, e := range events {
		if e.Seq != int64(i+1) {
			return i, fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("sequence gap: expected %d", i+1)})
		}
		if e.PreviousHash != prev {
			return i, fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: "previous_hash does not match the hash of the event before it"})
		}
		if c, err := canon.Transform(e.Payload); err != nil || string(c) != string(e.Payload) {
			return i, fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: "payload is not canonical JSON"})
		}
		h, err := EventHash(t.tenant, e)
		if err != nil {
			return i, err
		}
		if h != e.EventHash {
			return i, fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: "event_hash does not match the event's content (the row was edited)"})
		}
		prev = e.EventHash
	}
	if err := t.checkAnchor(events); err != nil {
		return len(events), err
	}
	if err := t.checkRunEvents(ctx, events); err != nil {
		return len(events), err
	}
	return len(events), nil
}
