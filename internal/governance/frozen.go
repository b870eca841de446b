package governance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Approved exceptions leave the database frozen into a snapshot with the
// evidence they rest on, so that a site the snapshot reaches (in a bundle)
// can check the approval itself (docs/governance.md "How exceptions reach
// evaluations").

// FrozenExceptions is `snapshot create --exceptions approved`: the tenant's
// approved exceptions that the trust config in force counts and that are
// unexpired at now — those for every policy and those scoped to one (with
// Policy set) — each row checked against its signed statements and
// carrying the request and the approval it rests on (Statements), sorted
// by id.
func (r *Registry) FrozenExceptions(ctx context.Context, now time.Time) ([]model.Exception, error) {
	at := timeText(now)
	out := []model.Exception{}
	err := r.Store.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Exceptions(ctx, store.ExceptionFilter{})
		if err != nil {
			return err
		}
		for i := range rows {
			row := &rows[i]
			d, err := r.checkException(ctx, tx, row)
			if err != nil {
				return err
			}
			if !r.trusted(d) || row.Exception.Expires <= at {
				continue
			}
			x, err := withEvidence(row, d)
			if err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b model.Exception) int { return strings.Compare(a.ID, b.ID) })
	return out, err
}

// withEvidence is an exception as it leaves the database: its row's terms,
// the policy it is scoped to, and the signed request and approval it rests
// on (Statements), which VerifyExceptions checks where it is used.
func withEvidence(row *store.ExceptionRow, d *derivedException) (model.Exception, error) {
	x := row.Exception
	x.Policy = row.PolicyID
	for _, s := range []Signed{d.request, d.approval} {
		b, err := json.Marshal(s)
		if err != nil {
			return x, err
		}
		x.Statements = append(x.Statements, b)
	}
	return x, nil
}

// FrozenExceptionsDoc is FrozenExceptions as an exceptions document
// (stella.exceptions/v1), the bytes snapshot create freezes, and how many
// exceptions it holds.
func (r *Registry) FrozenExceptionsDoc(ctx context.Context, now time.Time) ([]byte, int, error) {
	xs, err := r.FrozenExceptions(ctx, now)
	if err != nil {
		return nil, 0, err
	}
	b, err := json.Marshal(NewExceptionsFile(xs))
	return b, len(xs), err
}

// VerifyExceptions checks the signed statements frozen with exceptions
// (those that carry any; an exceptions file's have none): each must be a
// verifying governance statement about the exception — one request whose
// signed terms are the frozen terms and policy scope, one approval of
// exactly those terms by the approver the exception names. With a trust
// config in force (trust non-nil) the approval must be signed by a key it
// holds with exceptions:approve, for a principal other than the requester,
// and an approved exception without statements (a hand-written file's
// "status: approved") is refused: nobody signed it. A failure is
// fail.Integrity naming the exception: the run does not evaluate on an
// approval this site cannot verify. With the site's database (st non-nil)
// an approved exception that was revoked here since it was frozen (a
// verifying exception.revoked statement of exactly its terms) is refused
// too, as fail.Governance: a revocation takes effect in the next run, not
// when someone re-freezes the snapshot.
func VerifyExceptions(ctx context.Context, trust *Trust, st *store.Store, xs []model.Exception) error {
	for i := range xs {
		x := &xs[i]
		if len(x.Statements) == 0 {
			if trust != nil && x.Status == ExceptionApproved {
				return fail.New(fail.Integrity, "exception %s: approved in an exceptions file, with no signed request and approval; where %s is in force a run applies only exceptions frozen with their approvals (snapshot create --exceptions approved)", x.ID, trustName(trust))
			}
			continue
		}
		if err := verifyFrozen(ctx, trust, x); err != nil {
			return fail.New(fail.Integrity, "exception %s: %v; a run does not evaluate an exception whose approval this site cannot verify", x.ID, err)
		}
	}
	if st == nil {
		return nil
	}
	return st.View(ctx, func(tx *store.Tx) error {
		for i := range xs {
			if xs[i].Status != ExceptionApproved {
				continue
			}
			if err := revokedHere(ctx, tx, &xs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// revokedHere refuses x when this database holds a revocation of exactly
// its terms.
func revokedHere(ctx context.Context, tx *store.Tx, x *model.Exception) error {
	ss, err := tx.Statements(ctx, store.StatementFilter{Subject: x.ID})
	if err != nil || len(ss) == 0 {
		return err
	}
	frozen := *x
	frozen.Status, frozen.Approvers, frozen.Policy, frozen.Statements = ExceptionRequested, nil, "", nil
	digest, err := TermsDigest(frozen)
	if err != nil {
		return err
	}
	for i := range ss {
		if ss[i].Action != ActionExcRevoked {
			continue
		}
		v, err := ChainedStatement(ctx, tx, &ss[i])
		if err != nil {
			return fail.Wrap(fail.Integrity, err)
		}
		if p := &v.Predicate; p.ExceptionID == x.ID && p.TermsDigest == digest {
			return fail.New(fail.Governance, "exception %s was revoked at this site at %s by %s (%q) after the snapshot froze it approved; a run does not apply a revoked exception — freeze the inputs again (snapshot create --exceptions approved)",
				x.ID, p.At, p.Actor.Principal, p.Reason)
		}
	}
	return nil
}

func verifyFrozen(ctx context.Context, trust *Trust, x *model.Exception) error {
	if len(x.Statements) != 2 {
		return fail.New(fail.Integrity, "%d frozen statements, want its request and its approval", len(x.Statements))
	}
	var vs [2]*Verified
	for i, raw := range x.Statements {
		var s Signed
		if err := json.Unmarshal(raw, &s); err != nil {
			return fail.New(fail.Integrity, "frozen statement %d does not decode: %v", i+1, err)
		}
		v, err := s.Verify(ctx)
		if err != nil {
			return err
		}
		if v.Predicate.ExceptionID != x.ID {
			return fail.New(fail.Integrity, "frozen statement %d is about %q", i+1, v.Predicate.ExceptionID)
		}
		vs[i] = v
	}
	req, appr := vs[0], vs[1]
	if req.Predicate.Action != ActionExcRequested || req.Predicate.Exception == nil {
		return fail.New(fail.Integrity, "the first frozen statement is %s, not its request", req.Predicate.Action)
	}
	asked := *req.Predicate.Exception
	asked.ID, asked.Status, asked.Approvers = x.ID, ExceptionRequested, nil
	signed, err := TermsDigest(asked)
	if err != nil {
		return err
	}
	frozen := *x
	frozen.Status, frozen.Approvers, frozen.Policy, frozen.Statements = ExceptionRequested, nil, "", nil
	got, err := TermsDigest(frozen)
	if err != nil {
		return err
	}
	switch {
	case req.SubjectDigest != signed:
		return fail.New(fail.Integrity, "the request statement signs terms %s, its predicate hashes to %s", req.SubjectDigest, signed)
	case got != signed:
		return fail.New(fail.Integrity, "the frozen terms (%s) are not the signed request's (%s)", got, signed)
	case req.Predicate.ForPolicy != x.Policy:
		return fail.New(fail.Integrity, "it is frozen for policy %q, the signed request for %q", x.Policy, req.Predicate.ForPolicy)
	case appr.Predicate.Action != ActionExcApproved || appr.Predicate.TermsDigest != signed:
		return fail.New(fail.Integrity, "the second frozen statement is not an approval of its terms (%s over %s)", appr.Predicate.Action, appr.Predicate.TermsDigest)
	case x.Status != ExceptionApproved || !slices.Equal(x.Approvers, []string{appr.Predicate.Actor.Principal}):
		return fail.New(fail.Integrity, "it is frozen as %s by %v, the signed approval is by %s", x.Status, x.Approvers, appr.Predicate.Actor.Principal)
	}
	if trust == nil {
		return nil
	}
	e, ok := trust.Lookup(appr.KeyID)
	switch {
	case !ok:
		return fail.New(fail.Integrity, "approved by key %s (%s), which %s does not hold", text.Abbrev(appr.KeyID), appr.Predicate.Actor.Principal, trustName(trust))
	case !e.Has(ScopeExceptionApprove):
		return fail.New(fail.Integrity, "approved by %s (key %s), who holds no %s in %s", e.Principal, text.Abbrev(appr.KeyID), ScopeExceptionApprove, trustName(trust))
	case e.Principal == x.Requester:
		return fail.New(fail.Integrity, "approved by its requester %s (separation of duties)", e.Principal)
	}
	return nil
}
