package governance

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Exceptions (waivers, docs/governance.md "Exceptions"): requested by one principal, approved by
// another, always time-boxed. The engine applies an approved exception
// only inside its timebox [effective, expires) at the run's evaluation
// time, so an exception that expired is still listed (as expired) in the
// traces of evaluations after its end. The terms (scope, effect,
// justification, owner, timebox) are fixed at request; approval and
// revocation sign the digest of those terms.

// Display states of an exception: its stored status, except that an
// approved exception past its expiry shows as expired.
const (
	ExceptionRequested = model.ExceptionRequested
	ExceptionApproved  = model.ExceptionApproved
	ExceptionRevoked   = model.ExceptionRevoked
	ExceptionExpired   = "expired"
	// ExceptionUntrusted: approved by a key the trust config in force does
	// not hold with exceptions:approve; it never reaches a run.
	ExceptionUntrusted = "untrusted"
)

// ExceptionRequest is what a requester asks for.
type ExceptionRequest struct {
	Vulns         []string // advisory ids or aliases
	Purls         []string // purl patterns ("pkg:npm/lodash", "pkg:maven/org.apache/*")
	Effect        string   // suppress, defer, downgrade:SEV or requireControl:ID
	Justification string
	Owner         string
	Ticket        string
	Effective     string // RFC 3339; "" = now
	Expires       string // RFC 3339, a date (YYYY-MM-DD, midnight UTC) or an age after Effective ("30d")
	PolicyID      string // "" = every policy
}

// ExceptionView is an exception as list and show present it.
type ExceptionView struct {
	model.Exception
	State     string           `json:"state"` // requested, approved, expired, revoked
	PolicyID  string           `json:"policyId,omitempty"`
	UpdatedAt string           `json:"updatedAt"`
	History   []ExceptionEvent `json:"history,omitempty"`
}

// ExceptionEvent is one signed step of an exception's history.
type ExceptionEvent struct {
	Seq       int64  `json:"seq"`
	Action    string `json:"action"`
	At        string `json:"at"`
	Principal string `json:"principal"`
	KeyID     string `json:"keyId"`
	Reason    string `json:"reason,omitempty"`
	Statement string `json:"statement"`
}

// parseEffect splits suppress | defer | downgrade:SEV | requireControl:ID.
func parseEffect(s string) (effect, severity, control string, err error) {
	name, arg, _ := strings.Cut(s, ":")
	switch strings.ToLower(name) {
	case "suppress":
		effect = model.EffectSuppress
	case "defer":
		effect = model.EffectDefer
	case "downgrade":
		effect = model.EffectDowngrade
		band, _, ok := cvss.ParseBand(arg)
		if !ok {
			return "", "", "", fail.New(fail.Invalid, "--effect %q: downgrade needs a band: downgrade:%s", s, strings.Join(cvss.Bands(), "|"))
		}
		return effect, band, "", nil
	case "requirecontrol":
		if arg == "" {
			return "", "", "", fail.New(fail.Invalid, "--effect %q: requireControl needs a control id: requireControl:ID", s)
		}
		return model.EffectRequireControl, "", arg, nil
	default:
		return "", "", "", fail.New(fail.Invalid, "--effect %q: want suppress, defer, downgrade:SEV or requireControl:ID", s)
	}
	if arg != "" {
		return "", "", "", fail.New(fail.Invalid, "--effect %q: %s takes no argument", s, effect)
	}
	return effect, "", "", nil
}

// parseWhen reads an RFC 3339 time or a date (midnight UTC).
func parseWhen(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fail.New(fail.Invalid, "%s %q: want an RFC 3339 time (2026-03-01T00:00:00Z) or a date (2026-03-01)", flag, s)
}

// errWhenOrAge is the error for a flag that takes a time, a date or an age.
func errWhenOrAge(flag, s string) error {
	return fail.New(fail.Invalid, "%s %q: want an RFC 3339 time (2026-03-01T00:00:00Z), a date (2026-03-01) or an age (30d, 12h)", flag, s)
}

// TermsDigest is what approval and revocation sign: the digest of the
// exception without its status and approvers. `audit verify --dsn` checks
// PostgreSQL's exception rows with it (docs/sync.md "What audit verify
// checks").
func TermsDigest(e model.Exception) (string, error) {
	e.Status, e.Approvers = "", nil
	_, d, err := canon.DigestOf(e)
	return d, err
}

// RequestException records a request. Guards: findings:read; an expiry is
// required and the timebox may not exceed Settings.ExceptionMaxAge (no
// perpetual waivers).
func (r *Registry) RequestException(ctx context.Context, a *Actor, req ExceptionRequest) (*Transition, *ExceptionView, error) {
	if err := a.require(ActionExcRequested); err != nil {
		return nil, nil, err
	}
	x, warnings, err := r.newException(req, a.Entry.Principal)
	if err != nil {
		return nil, nil, err
	}
	var t *Transition
	var view *ExceptionView
	err = r.Store.Update(ctx, func(tx *store.Tx) error {
		if err := r.sweepExpired(ctx, tx); err != nil {
			return err
		}
		if req.PolicyID != "" {
			if _, err := tx.PolicyVersion(ctx, req.PolicyID, 0); err != nil {
				return err
			}
		}
		id, err := tx.NextExceptionID(ctx)
		if err != nil {
			return err
		}
		x.ID = id
		d, err := TermsDigest(x)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionExcRequested)
		p.ExceptionID = id
		p.Exception = &x
		p.ForPolicy = req.PolicyID
		st, ev, err := r.record(ctx, tx, a, p, d, map[string]any{"exceptionId": id, "terms": d, "expires": x.Expires, "effect": x.Effect})
		if err != nil {
			return err
		}
		row := &store.ExceptionRow{Exception: x, PolicyID: req.PolicyID}
		if err := tx.PutException(ctx, row); err != nil {
			return err
		}
		t = &Transition{Subject: id, Action: ActionExcRequested, State: ExceptionRequested, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq, Warnings: warnings}
		view = r.view(row, nil)
		return nil
	})
	return t, view, err
}

// newException validates a request by principal a into the exception's
// terms.
func (r *Registry) newException(req ExceptionRequest, a string) (model.Exception, []string, error) {
	var warnings []string
	vulns := cleanList(req.Vulns, true)
	purls := cleanList(req.Purls, false) // a purl may contain a comma
	if len(vulns) == 0 && len(purls) == 0 {
		return model.Exception{}, nil, fail.New(fail.Invalid, "an exception needs a scope: give --vuln ID and/or --purl PATTERN")
	}
	for _, p := range purls {
		if !ir.PurlPattern(p) {
			return model.Exception{}, nil, fail.New(fail.Invalid, "--purl %q: a purl pattern is pkg:TYPE/… with a package type (pkg:npm/lodash, pkg:maven/org.apache/*); no blanket waivers", p)
		}
	}
	effect, sev, control, err := parseEffect(req.Effect)
	if err != nil {
		return model.Exception{}, nil, err
	}
	switch {
	case strings.TrimSpace(req.Justification) == "":
		return model.Exception{}, nil, fail.New(fail.Invalid, "an exception needs --justification TEXT")
	case strings.TrimSpace(req.Owner) == "":
		return model.Exception{}, nil, fail.New(fail.Invalid, "an exception needs --owner NAME")
	case req.Expires == "":
		return model.Exception{}, nil, fail.New(fail.Invalid, "an exception needs --expires: perpetual waivers are not allowed")
	}
	now := r.Store.Now()
	start := now
	if req.Effective != "" {
		if start, err = parseWhen("--effective", req.Effective); err != nil {
			return model.Exception{}, nil, err
		}
	}
	var end time.Time
	if age, aerr := text.ParseAge(req.Expires); aerr == nil {
		end = start.Add(age)
	} else if end, err = parseWhen("--expires", req.Expires); err != nil {
		return model.Exception{}, nil, errWhenOrAge("--expires", req.Expires)
	}
	if !end.After(start) {
		return model.Exception{}, nil, fail.New(fail.Invalid, "--expires %s is not after the start of the timebox %s", timeText(end), timeText(start))
	}
	if box := end.Sub(start); box > r.Settings.ExceptionMaxAge {
		return model.Exception{}, nil, refuse(GuardExpiry, "the timebox %s → %s (%s) is longer than governance.exception_max_age %s: no perpetual waivers",
			timeText(start), timeText(end), roughAge(box), text.Age(r.Settings.ExceptionMaxAge))
	}
	if !end.After(now) {
		warnings = append(warnings, "the timebox ended at "+timeText(end)+": the exception applies only to evaluations dated inside it")
	}
	x := model.Exception{Vulns: vulns, Purls: purls, Effect: effect, Severity: sev, Control: control,
		Justification: strings.TrimSpace(req.Justification), Owner: strings.TrimSpace(req.Owner), Requester: a, Status: ExceptionRequested,
		Created: timeText(now), Effective: timeText(start), Expires: timeText(end), Ticket: req.Ticket}
	return x, warnings, nil
}

// roughAge rounds a duration for a message: to days from two days up, else
// to minutes.
func roughAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return text.Age(d.Round(24 * time.Hour))
	}
	return text.Age(d.Round(time.Minute))
}

// loadException reads exception id for a command, after expiring what
// has run out, checked against its signed statements.
func (r *Registry) loadException(ctx context.Context, tx *store.Tx, id string) (store.ExceptionRow, *derivedException, error) {
	if err := r.sweepExpired(ctx, tx); err != nil {
		return store.ExceptionRow{}, nil, err
	}
	row, err := tx.Exception(ctx, id)
	if err != nil {
		return row, nil, err
	}
	d, err := r.checkException(ctx, tx, &row)
	return row, d, err
}

// ApproveException approves a requested exception. Guards:
// exceptions:approve; the approver is not the requester; the timebox has
// not ended.
func (r *Registry) ApproveException(ctx context.Context, a *Actor, id, note string) (*Transition, error) {
	if err := a.require(ActionExcApproved); err != nil {
		return nil, err
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		row, _, err := r.loadException(ctx, tx, id)
		if err != nil {
			return err
		}
		x := row.Exception
		if x.Status != ExceptionRequested {
			return refuse(GuardState, "%s is %s; only a requested exception can be approved", id, x.Status)
		}
		if err := r.checkNotRequester(ctx, tx, a, id); err != nil {
			return err
		}
		if now := timeText(r.Store.Now()); x.Expires <= now {
			return refuse(GuardExpiry, "%s expired at %s; request a new exception", id, x.Expires)
		}
		d, err := TermsDigest(x)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionExcApproved)
		p.ExceptionID, p.TermsDigest, p.Note = id, d, note
		st, ev, err := r.record(ctx, tx, a, p, d, map[string]any{"exceptionId": id, "terms": d})
		if err != nil {
			return err
		}
		x.Status = ExceptionApproved
		x.Approvers = []string{a.Entry.Principal}
		row.Exception = x
		if err := tx.PutException(ctx, &row); err != nil {
			return err
		}
		t = &Transition{Subject: id, Action: ActionExcApproved, State: r.view(&row, nil).State, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq}
		return nil
	})
	return t, err
}

// checkNotRequester refuses an approval by the principal (or key) that
// requested the exception.
func (r *Registry) checkNotRequester(ctx context.Context, tx *store.Tx, a *Actor, id string) error {
	reqs, err := tx.Statements(ctx, store.StatementFilter{Subject: id, Action: ActionExcRequested})
	if err != nil {
		return err
	}
	for _, s := range reqs {
		if s.KeyID == a.Key.ID || s.Principal == a.Entry.Principal {
			return refuse(GuardSoD, "%s requested %s and cannot approve it", a.Entry.Principal, id)
		}
		if e, ok := r.Trust.Lookup(s.KeyID); ok && e.Principal == a.Entry.Principal {
			return refuse(GuardSoD, "%s requested %s (with another key) and cannot approve it", a.Entry.Principal, id)
		}
	}
	return nil
}

// RevokeException ends an exception before its expiry, with a reason. A
// principal with exceptions:approve may revoke any exception; the
// requester may withdraw their own.
func (r *Registry) RevokeException(ctx context.Context, a *Actor, id, reason string) (*Transition, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fail.New(fail.Invalid, "a revocation needs --reason TEXT")
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		row, _, err := r.loadException(ctx, tx, id)
		if err != nil {
			return err
		}
		x := row.Exception
		if err := a.require(ActionExcRevoked); err != nil {
			if x.Requester != a.Entry.Principal || !a.Entry.Has(ScopeFindingsRead) {
				return err
			}
		}
		if x.Status == ExceptionRevoked {
			return refuse(GuardState, "%s is already revoked", id)
		}
		d, err := TermsDigest(x)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionExcRevoked)
		p.ExceptionID, p.TermsDigest, p.Reason = id, d, reason
		st, ev, err := r.record(ctx, tx, a, p, d, map[string]any{"exceptionId": id, "terms": d, "reason": reason})
		if err != nil {
			return err
		}
		row.Exception.Status = ExceptionRevoked
		if err := tx.PutException(ctx, &row); err != nil {
			return err
		}
		t = &Transition{Subject: id, Action: ActionExcRevoked, State: ExceptionRevoked, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq}
		return nil
	})
	return t, err
}

// sweepExpired records exception.expired once for every approved exception
// whose timebox has ended by the wall clock. It changes no status: the
// engine decides expiry against each evaluation's own time.
func (r *Registry) sweepExpired(ctx context.Context, tx *store.Tx) error {
	rows, err := tx.Exceptions(ctx, store.ExceptionFilter{Status: ExceptionApproved})
	if err != nil {
		return err
	}
	now := timeText(r.Store.Now())
	for i := range rows {
		row := &rows[i]
		if row.ExpiredSeq != 0 || row.Exception.Expires > now {
			continue
		}
		ev, err := tx.Append(ctx, ActionExcExpired, "stella", row.Exception.ID, map[string]any{"exceptionId": row.Exception.ID, "expires": row.Exception.Expires})
		if err != nil {
			return err
		}
		row.ExpiredSeq = ev.Seq
		if err := tx.PutException(ctx, row); err != nil {
			return err
		}
	}
	return nil
}

// ExceptionFilter selects exceptions to list.
type ExceptionFilter struct {
	State    string // requested, approved, expired, revoked; "" = all
	PolicyID string
}

// ListExceptions returns exceptions by number (recording expiries first).
func (r *Registry) ListExceptions(ctx context.Context, f ExceptionFilter) ([]ExceptionView, error) {
	switch f.State {
	case "", ExceptionRequested, ExceptionApproved, ExceptionExpired, ExceptionRevoked:
	default:
		return nil, fail.New(fail.Invalid, "--status %q: want requested, approved, expired or revoked", f.State)
	}
	out := []ExceptionView{}
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		if err := r.sweepExpired(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Exceptions(ctx, store.ExceptionFilter{PolicyID: f.PolicyID})
		if err != nil {
			return err
		}
		for i := range rows {
			d, err := r.checkException(ctx, tx, &rows[i])
			if err != nil {
				return err
			}
			if v := r.view(&rows[i], d); f.State == "" || v.State == f.State {
				out = append(out, *v)
			}
		}
		return nil
	})
	return out, err
}

// ShowException returns one exception with its signed history.
func (r *Registry) ShowException(ctx context.Context, id string) (*ExceptionView, error) {
	var v *ExceptionView
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		row, d, err := r.loadException(ctx, tx, id)
		if err != nil {
			return err
		}
		v = r.view(&row, d)
		ss, err := tx.Statements(ctx, store.StatementFilter{Subject: id})
		if err != nil {
			return err
		}
		for _, s := range ss {
			sv, err := Signed{Envelope: s.Envelope, PublicKey: s.PublicPEM}.Verify(ctx)
			if err != nil {
				return fail.Wrap(fail.Integrity, err)
			}
			v.History = append(v.History, ExceptionEvent{Seq: s.Seq, Action: s.Action, At: sv.Predicate.At, Principal: s.Principal,
				KeyID: s.KeyID, Reason: sv.Predicate.Reason, Statement: s.Digest})
		}
		return nil
	})
	return v, err
}

// view presents row; d, when given, is its checked derivation, whose
// approval counts only when trusted.
func (r *Registry) view(row *store.ExceptionRow, d *derivedException) *ExceptionView {
	v := &ExceptionView{Exception: row.Exception, State: row.Exception.Status, PolicyID: row.PolicyID, UpdatedAt: row.UpdatedAt}
	if d != nil && v.State == ExceptionApproved && !r.trusted(d) {
		v.State = ExceptionUntrusted
	}
	if v.State == ExceptionApproved && v.Expires <= timeText(r.Store.Now()) {
		v.State = ExceptionExpired
	}
	return v
}

// EngineExceptions returns the approved exceptions the engine should see
// for a run of policyID ("" for a policy that is not registered: only the
// exceptions that are not scoped to one policy), as model.Exception values
// sorted by id. Expired ones are included: the engine compares each
// timebox with the evaluation time and lists the expired ones as expired.
// Every row is checked against its signed statements (a mismatch is
// fail.Integrity) and only trusted approvals count.
func (r *Registry) EngineExceptions(ctx context.Context, tx *store.Tx, policyID string) ([]model.Exception, error) {
	out := []model.Exception{}
	err := r.eachApplicable(ctx, tx, policyID, func(row *store.ExceptionRow, _ *derivedException) error {
		out = append(out, row.Exception)
		return nil
	})
	return out, err
}

// eachApplicable calls fn, in id order, for every exception a run of
// policyID can apply: each row checked against its statements, approved by
// a key the trust config counts, for every policy or for policyID.
func (r *Registry) eachApplicable(ctx context.Context, tx *store.Tx, policyID string, fn func(*store.ExceptionRow, *derivedException) error) error {
	rows, err := tx.Exceptions(ctx, store.ExceptionFilter{PolicyID: policyID})
	if err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b store.ExceptionRow) int { return strings.Compare(a.Exception.ID, b.Exception.ID) })
	for i := range rows {
		row := &rows[i]
		d, err := r.checkException(ctx, tx, row)
		if err != nil {
			return err
		}
		if !r.trusted(d) || policyID == "" && row.PolicyID != "" {
			continue
		}
		if err := fn(row, d); err != nil {
			return err
		}
	}
	return nil
}

// ExportExceptions is `exception export`: the approved exceptions for a
// run of policyID (those EngineExceptions returns) as an exceptions
// document, each with its policy scope and the signed request and approval
// it rests on, so that a policy run where a trust config is in force can
// verify them (VerifyExceptions).
func (r *Registry) ExportExceptions(ctx context.Context, policyID string) (ExceptionsFile, error) {
	xs := []model.Exception{}
	err := r.Store.View(ctx, func(tx *store.Tx) error {
		return r.eachApplicable(ctx, tx, policyID, func(row *store.ExceptionRow, d *derivedException) error {
			x, err := withEvidence(row, d)
			xs = append(xs, x)
			return err
		})
	})
	return NewExceptionsFile(xs), err
}

// ExceptionsFile is the exceptions document the input readers read
// (inputs.ExceptionsSchema, docs/inputs.md).
type ExceptionsFile struct {
	Schema     string            `json:"schema"`
	Exceptions []model.Exception `json:"exceptions"`
}

// ExportExceptions is `exception export`: Registry.ExportExceptions under
// the trust config flag (--trust) names, the database read only.
func (s *Site) ExportExceptions(ctx context.Context, flag, policyID string) (ExceptionsFile, error) {
	reg, err := s.Registry(ctx, flag, true)
	if err != nil {
		return ExceptionsFile{}, err
	}
	defer reg.Store.Close()
	return reg.ExportExceptions(ctx, policyID)
}

// NewExceptionsFile wraps exceptions in an exceptions document.
func NewExceptionsFile(xs []model.Exception) ExceptionsFile {
	return ExceptionsFile{Schema: inputs.ExceptionsSchema, Exceptions: xs}
}

// cleanList trims, sorts and deduplicates a list, splitting items at
// commas when split is set.
func cleanList(in []string, split bool) []string {
	var out []string
	for _, s := range in {
		parts := []string{s}
		if split {
			parts = strings.Split(s, ",")
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
