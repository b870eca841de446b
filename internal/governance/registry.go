package governance

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Registry applies governance to one tenant of a store under a trust
// config and settings.
type Registry struct {
	Store    *store.Store
	Trust    *Trust
	Settings Settings
}

// Actor is a trusted principal acting through its private key.
type Actor struct {
	Entry *Entry
	Key   *attest.Key
}

// Ref returns the actor as a statement names it.
func (a *Actor) Ref() ActorRef { return ActorRef{KeyID: a.Key.ID, Principal: a.Entry.Principal} }

// Actor resolves the key a command acts with: the acting principal is
// whoever the trust config says holds it.
func (r *Registry) Actor(key *attest.Key) (*Actor, error) {
	if !key.CanSign() {
		return nil, fail.New(fail.Invalid, "key %s is a public key; acting needs the private key (--key)", key.ID)
	}
	e, ok := r.Trust.Lookup(key.ID)
	if !ok {
		where := trustName(r.Trust)
		if len(r.Trust.Entries) == 0 {
			return nil, refuse(GuardTrust, "%s trusts no key yet, so no principal acts with key %s (see `stella trust add`)", where, key.ID)
		}
		return nil, refuse(GuardTrust, "key %s is not in %s, so no principal acts with it (see `stella trust add`)", key.ID, where)
	}
	return &Actor{Entry: e, Key: key}, nil
}

// require refuses the action unless the actor holds its scope.
func (a *Actor) require(action string) error {
	scope := ScopeFor(action)
	if scope == "" {
		return nil
	}
	return a.RequireScope(scope)
}

// RequireScope refuses (guard scope) unless the actor holds scope.
func (a *Actor) RequireScope(scope string) error {
	if a.Entry.Has(scope) {
		return nil
	}
	return refuse(GuardScope, "missing scope %s: principal %s (key %s) holds %s", scope, a.Entry.Principal,
		text.Abbrev(a.Key.ID), strings.Join(a.Entry.Scopes, ", "))
}

// Authorize checks a state-changing command outside the lifecycle (policy
// run needs policy:run, policy simulate --record policy:simulate): key must
// be trusted and hold scope. A nil key is refused as well, naming the
// scope; keyHint says how to give one. Under a trust config nobody acts
// anonymously.
func (r *Registry) Authorize(key *attest.Key, scope, keyHint string) (*Actor, error) {
	if key == nil {
		where := trustName(r.Trust)
		return nil, refuse(GuardScope, "missing scope %s: %s is in force and no key acts for this command; %s", scope, where, keyHint)
	}
	a, err := r.Actor(key)
	if err != nil {
		return nil, err
	}
	if err := a.RequireScope(scope); err != nil {
		return nil, err
	}
	return a, nil
}

// Transition is the outcome of a state-changing action.
type Transition struct {
	Subject    string          `json:"subject"` // P-n@v or an exception id
	Action     string          `json:"action"`
	State      string          `json:"state"` // the subject's state afterwards
	Actor      ActorRef        `json:"actor"`
	Statement  string          `json:"statement,omitempty"` // the signed statement's digest
	AuditSeq   int64           `json:"auditSeq,omitempty"`
	Approvals  *ApprovalReport `json:"approvals,omitempty"`
	Superseded string          `json:"superseded,omitempty"` // the version that stopped being active
	Evidence   string          `json:"evidenceRun,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
}

// predicate starts the predicate of an action by a.
func (r *Registry) predicate(a *Actor, action string) *Predicate {
	return &Predicate{Action: action, Tenant: r.Store.Tenant(), At: timeText(r.Store.Now()), Actor: a.Ref()}
}

// record signs p as the statement of the next audit event, appends that
// event (type p.Action) with a payload that references the statement by
// digest, and stores the statement. It returns both.
func (r *Registry) record(ctx context.Context, tx *store.Tx, a *Actor, p *Predicate, subjectDigest string, payload map[string]any) (*store.Statement, store.Event, error) {
	seq, err := tx.NextSeq(ctx)
	if err != nil {
		return nil, store.Event{}, err
	}
	p.Seq = seq
	s, err := sign(ctx, a.Key, p, subjectDigest)
	if err != nil {
		return nil, store.Event{}, err
	}
	tx.SignHead(store.KeySigner(a.Key)) // the signed head beside the database (docs/store.md "Audit log")
	return storeSigned(ctx, tx, p.Action, p.Action, p.subjectName(), a.Entry.Principal, a.Key.ID, s, payload)
}

// storeSigned appends the audit event of type typ that records a signed
// statement of action (they differ only for imported statements) and
// stores the statement with that event's seq.
func storeSigned(ctx context.Context, tx *store.Tx, typ, action, subject, principal, keyID string, s Signed, payload map[string]any) (*store.Statement, store.Event, error) {
	if payload == nil {
		payload = map[string]any{}
	}
	digest := canon.Digest(s.Envelope)
	payload["statement"] = digest
	payload["keyId"] = keyID
	ev, err := tx.Append(ctx, typ, principal, subject, payload)
	if err != nil {
		return nil, store.Event{}, err
	}
	st := &store.Statement{Seq: ev.Seq, Action: action, Subject: subject, KeyID: keyID, Principal: principal,
		PublicPEM: s.PublicKey, Envelope: s.Envelope}
	if err := tx.PutStatement(ctx, st); err != nil {
		return nil, store.Event{}, err
	}
	if st.Digest != digest {
		return nil, store.Event{}, fail.New(fail.Internal, "statement digest changed while storing it")
	}
	return st, ev, nil
}

// version is a resolved policy version with its lifecycle.
type version struct {
	pv store.PolicyVersion
	lc store.Lifecycle
}

func (v *version) String() string { return v.pv.String() }

func (v *version) ref() *PolicyRef {
	return &PolicyRef{ID: v.pv.PolicyID, Version: v.pv.Version, Name: v.pv.Name, IRDigest: v.pv.IRDigest, SourceDigest: v.pv.SourceDigest}
}

// pick chooses a version when a reference names only the policy.
type pick func([]store.Lifecycle) (store.Lifecycle, bool)

// latest picks the newest version.
func latest(ls []store.Lifecycle) (store.Lifecycle, bool) { return ls[len(ls)-1], true }

// newestIn picks the newest version in one of states, else the newest.
func newestIn(states ...string) pick {
	return func(ls []store.Lifecycle) (store.Lifecycle, bool) {
		for i := len(ls) - 1; i >= 0; i-- {
			if slices.Contains(states, ls[i].State) {
				return ls[i], true
			}
		}
		return latest(ls)
	}
}

// resolve reads the version a reference names: P-n@N, P-n@latest,
// P-n@active, or a bare P-n, which choose picks.
func resolve(ctx context.Context, tx *store.Tx, ref string, choose pick) (*version, error) {
	sel, ok, err := store.ParsePolicySel(ref)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail.New(fail.Invalid, "%q is not a registered policy reference (want P-<n>, P-<n>@<version>, P-<n>@active or P-<n>@latest)", ref)
	}
	ls, err := Lifecycles(ctx, tx, sel.ID)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, fail.New(fail.NotFound, "policy %s not found (see `stella policy status`)", sel.ID)
	}
	var lc store.Lifecycle
	switch {
	case sel.Pick == store.PickActive:
		pv, err := tx.SelectVersion(ctx, sel, store.PickActive)
		if err != nil {
			return nil, err
		}
		sel.Version = pv.Version
	case sel.Pick == store.PickLatest:
		sel.Version = ls[len(ls)-1].Version
	}
	if sel.Version == 0 {
		lc, _ = choose(ls)
	} else {
		i := slices.IndexFunc(ls, func(l store.Lifecycle) bool { return l.Version == sel.Version })
		if i < 0 {
			return nil, fail.New(fail.NotFound, "policy %s@%d not found (%s has versions 1 to %d)", sel.ID, sel.Version, sel.ID, ls[len(ls)-1].Version)
		}
		lc = ls[i]
	}
	pv, err := tx.PolicyVersion(ctx, sel.ID, lc.Version)
	if err != nil {
		return nil, err
	}
	return &version{pv: pv, lc: lc}, nil
}

// lint recompiles a version's stored source and checks that it still
// compiles to the registered IR: the IR that is approved and activated is
// the IR that was reviewed. A mismatch is an integrity failure
// (policy_ir_hash_mismatch).
func lint(ctx context.Context, tx *store.Tx, v *version) (*dsl.Result, error) {
	src, err := tx.Blob(ctx, v.pv.SourceDigest)
	if err != nil {
		return nil, err
	}
	res := dsl.CompileResult(v.String(), src)
	if dsl.HasErrors(res.Diagnostics) {
		first := res.Diagnostics[slices.IndexFunc(res.Diagnostics, func(d dsl.Diagnostic) bool { return d.Severity == dsl.Error })]
		return res, refuse(GuardLint, "%s does not compile: %s", v, first)
	}
	if res.Digest != v.pv.IRDigest {
		return res, fail.Wrap(fail.Integrity, &IRMismatch{PolicyID: v.pv.PolicyID, Version: v.pv.Version, Want: v.pv.IRDigest, Got: res.Digest, Reason: IRFromSource})
	}
	return res, nil
}

// verifiedStatements returns the signed statements about a version, in
// the order the audit chain recorded them, each marked as this site's own
// or imported, with what each says (verified once).
func verifiedStatements(ctx context.Context, tx *store.Tx, subject string) ([]checked, error) {
	rows, err := tx.Statements(ctx, store.StatementFilter{Subject: subject})
	if err != nil {
		return nil, err
	}
	imported, err := tx.Events(ctx, store.EventFilter{Type: ActionImported, Subject: subject})
	if err != nil {
		return nil, err
	}
	byImport := map[int64]bool{}
	for _, e := range imported {
		byImport[e.Seq] = true
	}
	out := make([]checked, len(rows))
	for i := range rows {
		// A statement counts only as recorded in the audit chain: the event
		// it is filed under must record it (docs/governance.md "Threat model").
		v, err := ChainedStatement(ctx, tx, &rows[i])
		if err != nil {
			return nil, fail.Wrap(fail.Integrity, err)
		}
		out[i] = checked{s: Signed{Envelope: rows[i].Envelope, PublicKey: rows[i].PublicPEM, own: !byImport[rows[i].Seq]}, v: v}
	}
	return out, nil
}

// approvals counts the approvals of a version under the registry's trust
// config and quorum.
func (r *Registry) approvals(ctx context.Context, tx *store.Tx, v *version) (*ApprovalReport, error) {
	cs, err := verifiedStatements(ctx, tx, v.String())
	if err != nil {
		return nil, err
	}
	return countApprovals(ctx, r.Trust, r.Settings.Quorum, v.ref(), cs)
}

// since returns the wall-clock time d before now, as row text.
func (r *Registry) since(d time.Duration) string { return timeText(r.Store.Now().Add(-d)) }

func policyString(id string, v int) string { return id + "@" + strconv.Itoa(v) }
