package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Rows are caches, statements the authority (docs/governance.md "Threat
// model"). An exception row is checked against its signed statements every
// time it is read: its terms must be those a verified exception.requested
// statement recorded, its status and approvers what the verified approval
// and revocation statements over exactly those terms add up to, counting
// an approval only when its key is in the trust config in force with
// exceptions:approve. Each statement must be the one its audit event
// records. A row that disagrees is a fail.Integrity error naming it. An
// approval counts only while its key is in the trust config in force with
// exceptions:approve (trusted): an approval signed by any other key — one
// an attacker made — is listed as requested and never reaches a run.

// ChainedStatement loads the statement with digest d and checks that the
// audit event it is filed under records it and is itself intact. It
// returns the verified statement.
func ChainedStatement(ctx context.Context, tx *store.Tx, s *store.Statement) (*Verified, error) {
	evs, err := tx.Events(ctx, store.EventFilter{SinceSeq: s.Seq - 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 || evs[0].Seq != s.Seq {
		return nil, fail.New(fail.Integrity, "statement %s (%s %s): audit event %d that records it is missing", text.Abbrev(s.Digest), s.Action, s.Subject, s.Seq)
	}
	e := evs[0]
	if h, err := store.EventHash(tx.Tenant(), e); err != nil || h != e.EventHash {
		return nil, fail.New(fail.Integrity, "audit event %d (%s %s) was edited: its hash does not match its content", e.Seq, e.Type, e.Subject)
	}
	var refs eventRefs
	if err := json.Unmarshal(e.Payload, &refs); err != nil {
		return nil, fail.New(fail.Integrity, "audit event %d: payload does not decode", e.Seq)
	}
	return verifyStatement(ctx, e, refs, s)
}

// derivedException is an exception as its statements say it is.
type derivedException struct {
	x           model.Exception
	policyID    string
	approvalKey string // the key of the approval that counts
	// request and approval are the signed statements the derivation rests
	// on (approval: the one that counts), frozen with the exception.
	request, approval Signed
}

// deriveException rebuilds exception id from its statements.
func (r *Registry) deriveException(ctx context.Context, tx *store.Tx, id string) (*derivedException, error) {
	ss, err := tx.Statements(ctx, store.StatementFilter{Subject: id})
	if err != nil {
		return nil, err
	}
	var d *derivedException
	var termsDigest string
	for i := range ss {
		s := &ss[i]
		v, err := ChainedStatement(ctx, tx, s)
		if err != nil {
			return nil, fail.Wrap(fail.Integrity, err)
		}
		p := &v.Predicate
		if p.ExceptionID != id {
			return nil, fail.New(fail.Integrity, "exception %s: statement %s is about %q", id, text.Abbrev(s.Digest), p.ExceptionID)
		}
		switch p.Action {
		case ActionExcRequested:
			if d != nil || p.Exception == nil {
				return nil, fail.New(fail.Integrity, "exception %s: statement %s is a second or empty request", id, text.Abbrev(s.Digest))
			}
			x := *p.Exception
			x.ID, x.Status, x.Approvers = id, ExceptionRequested, nil
			if termsDigest, err = TermsDigest(x); err != nil {
				return nil, err
			}
			if v.SubjectDigest != termsDigest {
				return nil, fail.New(fail.Integrity, "exception %s: the request statement signs terms %s, its predicate hashes to %s", id, v.SubjectDigest, termsDigest)
			}
			d = &derivedException{x: x, policyID: p.ForPolicy, request: Signed{Envelope: s.Envelope, PublicKey: s.PublicPEM}}
		case ActionExcApproved, ActionExcRevoked:
			if d == nil || p.TermsDigest != termsDigest {
				continue // about other terms than the request's: proves nothing
			}
			if p.Action == ActionExcRevoked {
				d.x.Status = ExceptionRevoked
				continue
			}
			if d.x.Status != ExceptionRequested {
				continue
			}
			d.x.Status = ExceptionApproved
			d.x.Approvers = []string{p.Actor.Principal}
			d.approvalKey = v.KeyID
			d.approval = Signed{Envelope: s.Envelope, PublicKey: s.PublicPEM}
		}
	}
	if d == nil {
		return nil, fail.New(fail.Integrity, "exception %s: no signed request statement: the row was inserted behind the log's back", id)
	}
	return d, nil
}

// trusted reports whether the approval that counts is signed by a key the
// trust config in force holds with exceptions:approve, for a principal
// other than the requester.
func (r *Registry) trusted(d *derivedException) bool {
	if d.x.Status != ExceptionApproved || r.Trust == nil {
		return false
	}
	e, ok := r.Trust.Lookup(d.approvalKey)
	return ok && e.Has(ScopeExceptionApprove) && e.Principal != d.x.Requester
}

// checkException compares row with what its statements say and returns
// the derivation.
func (r *Registry) checkException(ctx context.Context, tx *store.Tx, row *store.ExceptionRow) (*derivedException, error) {
	d, err := r.deriveException(ctx, tx, row.Exception.ID)
	if err != nil {
		return nil, err
	}
	got, err := canon.Marshal(row.Exception)
	if err != nil {
		return nil, err
	}
	want, err := canon.Marshal(d.x)
	if err != nil {
		return nil, err
	}
	if string(got) != string(want) {
		return nil, fail.New(fail.Integrity, "exception %s: the stored row (status %s) disagrees with its signed statements (status %s): the row was edited; run `stella audit verify`",
			row.Exception.ID, row.Exception.Status, d.x.Status)
	}
	if d.policyID != "" && row.PolicyID != d.policyID {
		return nil, fail.New(fail.Integrity, "exception %s: the stored row applies to %q, the signed request to %s only", row.Exception.ID, row.PolicyID, d.policyID)
	}
	return d, nil
}

// CheckRows checks every row the tenant's governance derives from
// statements — lifecycle states and exceptions — against them, for `audit verify` and `store
// check`, and returns one problem per row that disagrees.
func CheckRows(ctx context.Context, tx *store.Tx) ([]string, error) {
	r := &Registry{}
	rows, err := tx.Exceptions(ctx, store.ExceptionFilter{})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b store.ExceptionRow) int { return cmpID(a.Exception.ID, b.Exception.ID) })
	var problems []string
	ls, err := tx.Lifecycles(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if err := CheckLifecycle(ctx, tx, l); err != nil {
			if !fail.Is(err, fail.Integrity) {
				return nil, err
			}
			problems = append(problems, err.Error())
		}
	}
	for i := range rows {
		if _, err := r.checkException(ctx, tx, &rows[i]); err != nil {
			if !fail.Is(err, fail.Integrity) {
				return nil, err
			}
			problems = append(problems, err.Error())
		}
	}
	return problems, nil
}

// cmpID orders ids like EX-2 before EX-10.
func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Lifecycles returns the lifecycle of every version of policyID (all
// policies when ""), each checked against the audit chain (CheckLifecycle).
func Lifecycles(ctx context.Context, tx *store.Tx, policyID string) ([]store.Lifecycle, error) {
	ls, err := tx.Lifecycles(ctx, policyID)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if err := CheckLifecycle(ctx, tx, l); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// CheckLifecycle checks one lifecycle row; a mismatch is fail.Integrity.
func CheckLifecycle(ctx context.Context, tx *store.Tx, l store.Lifecycle) error {
	subj := policyString(l.PolicyID, l.Version)
	bad := func(format string, args ...any) error {
		return fail.New(fail.Integrity, "policy %s: lifecycle state %s %s: the row was edited; run `stella audit verify`", subj, l.State, fmt.Sprintf(format, args...))
	}
	if l.UpdatedBy == 0 {
		if l.State != store.StateDraft {
			return bad("names no audit event")
		}
		return nil
	}
	evs, err := tx.Events(ctx, store.EventFilter{SinceSeq: l.UpdatedBy - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(evs) == 0 || evs[0].Seq != l.UpdatedBy {
		return bad("names audit event %d, which does not exist", l.UpdatedBy)
	}
	e := evs[0]
	if h, err := store.EventHash(tx.Tenant(), e); err != nil || h != e.EventHash {
		return bad("names audit event %d, which was edited", e.Seq)
	}
	var refs struct {
		Statement string `json:"statement"`
		From      string `json:"from"`
	}
	if err := json.Unmarshal(e.Payload, &refs); err != nil {
		return bad("names audit event %d, whose payload does not decode", e.Seq)
	}
	if set := (LifecycleEvent{Seq: e.Seq, Type: e.Type, Subject: e.Subject, From: refs.From}); !set.Leaves(subj, l.State) {
		return bad("is not what audit event %d (%s %s) leaves it in", e.Seq, e.Type, e.Subject)
	}
	if refs.Statement != "" {
		ss, err := tx.Statements(ctx, store.StatementFilter{Digest: refs.Statement})
		if err != nil {
			return err
		}
		if len(ss) != 1 {
			return bad("rests on statement %s, which is missing", text.Abbrev(refs.Statement))
		}
		if _, err := ChainedStatement(ctx, tx, &ss[0]); err != nil {
			return fail.Wrap(fail.Integrity, err)
		}
	}
	later, err := tx.Events(ctx, store.EventFilter{Subject: subj, SinceSeq: l.UpdatedBy})
	if err != nil {
		return err
	}
	rbs, err := tx.Events(ctx, store.EventFilter{Type: ActionRollback, SinceSeq: l.UpdatedBy})
	if err != nil {
		return err
	}
	for _, x := range append(later, rbs...) {
		if le, ok := LifecycleEventOf(x); ok {
			if why := le.Outdates(subj, l.State); why != "" {
				return bad("%s", why)
			}
		}
	}
	return nil
}
