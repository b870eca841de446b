package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stella-policy/stella/internal/fail"
)

// The head anchor (docs/store.md "Audit log"): after every transaction
// that appends audit events the store writes the tenant's last event
// (seq, eventHash) to a file beside the database, DB.head. VerifyChain
// compares the chain with it, so deleting events from the tail — which
// leaves a chain that verifies on its own — is detected, as long as the
// attacker cannot also write the anchor file. A database without an
// anchor (older, or copied elsewhere) verifies as before.

// anchorSchema names the anchor file's format.
const anchorSchema = "stella.audit-head/v1"

// anchorFile is the anchor's on-disk form: the head of each tenant's chain,
// and the last head a key signed (SignHead).
type anchorFile struct {
	Schema  string                `json:"schema"`
	Tenants map[string]anchorHead `json:"tenants"`
	Signed  map[string]signedHead `json:"signed,omitempty"`
}

// signedHead is the DSSE envelope of a Checkpoint (SignCheckpoint).
type signedHead struct {
	Seq      int64           `json:"seq"`
	Envelope json.RawMessage `json:"envelope"`
}

// A HeadSigner signs the checkpoint of the chain's head (SignCheckpoint
// with the acting key).
type HeadSigner func(context.Context, Checkpoint) ([]byte, error)

// SignHead asks for the head this transaction leaves to be signed with fn
// into the anchor file (docs/store.md "Audit log": the signed head). The
// last call wins; nil signs nothing.
func (t *Tx) SignHead(fn HeadSigner) { t.signer = fn }

// signHead signs the head the transaction leaves, before it commits: a key
// that cannot sign rolls the transaction back instead of committing events
// the signed head will not cover. The anchor file itself is written after
// the commit (writeAnchor), so it never names an event the database does
// not hold; a crash between the two leaves it one transaction behind,
// which verifies, like an anchor from before (docs/store.md "Audit log").
func (t *Tx) signHead(ctx context.Context) (*signedHead, error) {
	if t.signer == nil || t.s.AnchorPath() == "" {
		return nil, nil
	}
	e := t.head
	env, err := t.signer(ctx, Checkpoint{Schema: CheckpointSchema, Tenant: t.tenant, Seq: e.Seq, EventHash: e.EventHash, At: e.At})
	if err != nil {
		return nil, fail.New(fail.Internal, "sign the audit head: %v", err)
	}
	return &signedHead{Seq: e.Seq, Envelope: env}, nil
}

// SignedHead returns the envelope of the last signed head of the tenant's
// chain in the anchor file, nil when there is none.
func (s *Store) SignedHead() ([]byte, error) {
	a, err := s.readAnchor()
	if err != nil {
		return nil, err
	}
	return a.Signed[s.tenant].Envelope, nil
}

type anchorHead struct {
	Seq       int64  `json:"seq"`
	EventHash string `json:"eventHash"`
}

// AnchorPath returns the anchor file of the database, "" for none.
func (s *Store) AnchorPath() string {
	if s.path == "" || s.path == ":memory:" {
		return ""
	}
	return s.path + ".head"
}

func (s *Store) readAnchor() (*anchorFile, error) {
	a := &anchorFile{Schema: anchorSchema, Tenants: map[string]anchorHead{}}
	p := s.AnchorPath()
	if p == "" {
		return a, nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, fail.New(fail.Integrity, "audit head anchor %s: %v", p, err)
	}
	if err := json.Unmarshal(b, a); err != nil || a.Schema != anchorSchema || a.Tenants == nil {
		return nil, fail.New(fail.Integrity, "audit head anchor %s: not a %s document", p, anchorSchema)
	}
	return a, nil
}

// writeAnchor records e as the head of the tenant's chain, and signed (nil
// for none) as its signed head, unless the anchor already holds a later
// one (another process got there first).
func (s *Store) writeAnchor(e *Event, signed *signedHead) error {
	p := s.AnchorPath()
	if p == "" {
		return nil
	}
	a, err := s.readAnchor()
	if err != nil {
		return err
	}
	changed := false
	if cur, ok := a.Tenants[s.tenant]; !ok || cur.Seq < e.Seq {
		a.Tenants[s.tenant] = anchorHead{Seq: e.Seq, EventHash: e.EventHash}
		changed = true
	}
	if cur, ok := a.Signed[s.tenant]; signed != nil && (!ok || cur.Seq < signed.Seq) {
		if a.Signed == nil {
			a.Signed = map[string]signedHead{}
		}
		a.Signed[s.tenant] = *signed
		changed = true
	}
	if !changed {
		return nil
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".stella-head-*")
	if err != nil {
		return fail.New(fail.Internal, "write %s: %v", p, err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fail.New(fail.Internal, "write %s: %v", p, werr)
	}
	return nil
}

// checkAnchor compares the verified chain events with the anchor.
func (t *Tx) checkAnchor(events []Event) error {
	a, err := t.s.readAnchor()
	if err != nil {
		return err
	}
	h, ok := a.Tenants[t.tenant]
	if !ok {
		return nil
	}
	if int64(len(events)) < h.Seq {
		return fail.Wrap(fail.Integrity, &ChainError{Seq: int64(len(events)), Reason: fmt.Sprintf(
			"the chain ends at event %d but its head anchor %s records event %d: events were deleted from the tail", len(events), t.s.AnchorPath(), h.Seq)})
	}
	if h.Seq > 0 && events[h.Seq-1].EventHash != h.EventHash {
		return fail.Wrap(fail.Integrity, &ChainError{Seq: h.Seq, Reason: fmt.Sprintf(
			"event %d differs from the head anchor %s: the chain was rewritten from there", h.Seq, t.s.AnchorPath())})
	}
	return nil
}

// checkRunEvents checks that every run an audit event says was recorded
// still exists. A run recorded before a store.pruned event may have been
// pruned (the event counts runs, it does not list them), so only runs
// recorded after the last prune are held to this.
func (t *Tx) checkRunEvents(ctx context.Context, events []Event) error {
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		switch e.Type {
		case "store.pruned":
			return nil
		case "policy.run.completed", "policy.run.failed", "policy.run.imported":
			var n int
			if err := t.queryRow(ctx, `SELECT count(*) FROM runs WHERE tenant = ? AND run_id = ?`, t.tenant, e.Subject).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fail.Wrap(fail.Integrity, &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("%s %s: the run is missing from the database (deleted behind the log's back)", e.Type, e.Subject)})
			}
		}
	}
	return nil
}

// Checkpoint is the head of a tenant's audit chain as a statement: signed
// (bundle.SignCheckpoint) it leaves the site inside every bundle, and
// CheckCheckpoint later proves that the chain still holds that event —
// detecting a truncated tail even when the attacker also rewrote the head
// anchor (docs/store.md "Audit log").
type Checkpoint struct {
	Schema    string `json:"schema"` // CheckpointSchema
	Tenant    string `json:"tenant"`
	Seq       int64  `json:"seq"`       // 0: the empty chain
	EventHash string `json:"eventHash"` // of event Seq; GenesisHash for the empty chain
	At        string `json:"at"`        // the event's time (no clock is read)
}

// CheckpointSchema names the Checkpoint format.
const CheckpointSchema = "stella.audit-checkpoint@1"

// Head returns the checkpoint of the tenant's last audit event.
func (t *Tx) Head(ctx context.Context) (Checkpoint, error) {
	c := Checkpoint{Schema: CheckpointSchema, Tenant: t.tenant, EventHash: GenesisHash}
	err := t.queryRow(ctx, `SELECT seq, event_hash, at FROM audit_events WHERE tenant = ? ORDER BY seq DESC LIMIT 1`, t.tenant).Scan(&c.Seq, &c.EventHash, &c.At)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	return c, err
}

// CheckCheckpoint checks that the tenant's chain still holds the event a
// checkpoint names; a chain that ends before it, or has another event
// there, is an Integrity error.
func (t *Tx) CheckCheckpoint(ctx context.Context, c Checkpoint) error {
	if c.Schema != CheckpointSchema || c.Tenant != t.tenant {
		return fail.New(fail.Integrity, "checkpoint of tenant %q (%s): this database holds tenant %q", c.Tenant, c.Schema, t.tenant)
	}
	if c.Seq == 0 {
		return nil
	}
	var hash string
	err := t.queryRow(ctx, `SELECT event_hash FROM audit_events WHERE tenant = ? AND seq = ?`, t.tenant, c.Seq).Scan(&hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var n int64
		if err := t.queryRow(ctx, `SELECT count(*) FROM audit_events WHERE tenant = ?`, t.tenant).Scan(&n); err != nil {
			return err
		}
		return fail.Wrap(fail.Integrity, &ChainError{Seq: n, Reason: fmt.Sprintf(
			"the chain ends at event %d but a signed checkpoint records event %d (%s): events were deleted from the tail", n, c.Seq, c.EventHash)})
	case err != nil:
		return err
	case hash != c.EventHash:
		return fail.Wrap(fail.Integrity, &ChainError{Seq: c.Seq, Reason: fmt.Sprintf(
			"event %d is %s, a signed checkpoint records %s: the chain was rewritten from there", c.Seq, hash, c.EventHash)})
	}
	return nil
}
