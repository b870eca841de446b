package governance

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// ApprovalReport says which approvals of a policy version count under a
// trust config.
type ApprovalReport struct {
	Policy   string `json:"policy"` // P-n@v as the statements name it
	IRDigest string `json:"irDigest"`
	// Round is the digest of the policy.submitted statement of the open
	// submission round, "" when none is open (docs/governance.md
	// "Submission rounds"): only approvals of that round count.
	Round     string     `json:"round,omitempty"`
	Quorum    int        `json:"quorum"`
	Approvers []string   `json:"approvers"` // distinct principals whose approvals count, sorted
	Rejected  []Rejected `json:"rejected"`  // approvals that do not count, and why
	Approved  bool       `json:"approved"`  // len(Approvers) >= Quorum
	counted   []string   // the envelope digests of the approvals that count (SetDigest)
}

// Rejected is an approval that does not count.
type Rejected struct {
	KeyID     string `json:"keyId"`
	Principal string `json:"principal"` // as the statement names it
	Reason    string `json:"reason"`
}

// rounds follows the submission rounds of one version through its
// statements in recorded order (docs/governance.md "Submission rounds"):
// each policy.submitted opens a round and closes the one before; a request
// for changes closes the round it names (a governance@1 one, which names
// none, the round open when it was recorded).
type rounds struct {
	open   string            // the digest of the open round's policy.submitted; "" when none is open
	openAt string            // its signed time
	subs   []string          // every policy.submitted, in order
	closed map[string]string // submission digest → why its round is closed
}

// add feeds the next statement and returns the round open when it was
// recorded (what a governance@1 approval belongs to).
func (r *rounds) add(v *Verified) string {
	if r.closed == nil {
		r.closed = map[string]string{}
	}
	at := r.open
	p := &v.Predicate
	switch p.Action {
	case ActionSubmitted:
		if r.open != "" {
			r.closed[r.open] = "submitted again since"
		}
		r.open, r.openAt = v.Digest, p.At
		if _, done := r.closed[v.Digest]; done {
			r.open = "" // a request for changes that names it came first
		}
		r.subs = append(r.subs, v.Digest)
	case ActionChangesRequested:
		sub := p.Submission
		if sub == "" {
			sub = r.open
		}
		if _, done := r.closed[sub]; sub != "" && !done {
			r.closed[sub] = p.Actor.Principal + " sent it back"
		}
		if sub == r.open {
			r.open = ""
		}
	}
	return at
}

// problem says why an approval recorded while round at was open does not
// belong to the open round, or "" when it does. A governance@2 approval
// names its submission. A governance@1 one names none: it belongs to the
// open round when it was recorded in it and either this site signed it
// (own: its place in the audit chain is when it was made, and the stella
// that made it approved only the round open then) or the version was
// submitted exactly once and the approval was not signed before that
// submission (an imported one cannot show which round it approved
// otherwise).
func (r *rounds) problem(v *Verified, at string, own bool) string {
	sub := v.Predicate.Submission
	if v.Format == 1 {
		switch {
		case r.open == "" || at != r.open:
			return fmt.Sprintf("the approval predates submission rounds (%s) and was not recorded in the open round", PredicateTypeV1)
		case len(r.subs) > 1 && !own:
			return fmt.Sprintf("the approval predates submission rounds (%s) and names no submission; it was imported and the version was submitted %d times, so it cannot show which round it approves: approve the current round again", PredicateTypeV1, len(r.subs))
		case !own && v.Predicate.At < r.openAt:
			return fmt.Sprintf("the approval predates submission rounds (%s) and names no submission; it was imported and signed (%s) before the submission it would approve (%s)", PredicateTypeV1, v.Predicate.At, r.openAt)
		}
		return ""
	}
	if sub == r.open {
		return ""
	}
	why, closed := r.closed[sub]
	switch {
	case closed && r.open != "":
		return fmt.Sprintf("it approves submission %s, whose round is closed (%s); the open round is submission %s", text.Abbrev(sub), why, text.Abbrev(r.open))
	case closed:
		return fmt.Sprintf("it approves submission %s, whose round is closed (%s); no round is open", text.Abbrev(sub), why)
	}
	return fmt.Sprintf("it approves submission %s, which is not a recorded submission of this version", text.Abbrev(sub))
}

// checked is a statement and, once verified, what it says (nil: not
// verified yet, or its signer is unknown here: no public key).
type checked struct {
	s Signed
	v *Verified
}

// countApprovals decides which approvals of the version ref count under
// trust. stmts are every signed statement about the version in the order
// they were recorded (drafted, submitted, reviews, approvals, …), from the
// local store or from a bundle, some verified already (checked.v): each
// is verified once. Every signature whose key is given must verify, and
// every statement must be about ref's policy, version and IR digest (its
// subject is P-n@v, so an approval of one version replayed onto another
// with the same IR never counts); anything else is fail.Integrity (the record was tampered with). An
// approval counts when it belongs to the open submission round (it names
// that round's policy.submitted statement, docs/governance.md "Submission
// rounds"), is signed by a key this trust config holds with
// policy:approve, acknowledges the simulation and determinism checks, and
// comes from a principal who neither drafted nor submitted the version;
// each principal counts once. The others are listed in Rejected and never
// count: this is how approvals travelling in a bundle are re-verified at
// import against the importing site's trust config.
func countApprovals(ctx context.Context, trust *Trust, quorum int, ref *PolicyRef, stmts []checked) (*ApprovalReport, error) {
	if quorum < 1 {
		quorum = DefaultQuorum
	}
	rep := &ApprovalReport{Policy: policyString(ref.ID, ref.Version), IRDigest: ref.IRDigest, Quorum: quorum,
		Approvers: []string{}, Rejected: []Rejected{}}
	authorKeys := map[string]bool{}
	authors := map[string]bool{}
	type cast struct {
		v   *Verified
		at  string // the round open when it was recorded
		own bool
	}
	var rs rounds
	var casts []cast
	for i, c := range stmts {
		if c.s.PublicKey == "" {
			// Nobody here knows the signer, so its content is unproven.
			for _, id := range envelopeKeyIDs(c.s.Envelope) {
				rep.Rejected = append(rep.Rejected, Rejected{KeyID: id, Reason: "signed by key " + text.Abbrev(id) + ", unknown at this site: its statement is not verified and does not count"})
			}
			continue
		}
		v := c.v
		if v == nil {
			var err error
			if v, err = c.s.Verify(ctx); err != nil {
				return nil, fail.Wrap(fail.Integrity, fmt.Errorf("statement %d about %s: %w", i+1, rep.Policy, err))
			}
		}
		p := &v.Predicate
		if p.Policy == nil || p.Policy.ID != ref.ID || p.Policy.Version != ref.Version || p.Policy.IRDigest != ref.IRDigest {
			return nil, fail.New(fail.Integrity, "statement %d (%s %s) is not about %s with IR %s", i+1, p.Action, v.Subject, rep.Policy, ref.IRDigest)
		}
		at := rs.add(v)
		switch p.Action {
		case ActionDrafted, ActionSubmitted:
			authorKeys[v.KeyID] = true
			authors[p.Actor.Principal] = true
			if e, ok := trust.Lookup(v.KeyID); ok {
				authors[e.Principal] = true
			}
		case ActionApproved:
			casts = append(casts, cast{v, at, c.s.own})
		}
	}
	rep.Round = rs.open
	for _, c := range casts {
		v, p := c.v, &c.v.Predicate
		rej := func(format string, args ...any) {
			rep.Rejected = append(rep.Rejected, Rejected{KeyID: v.KeyID, Principal: p.Actor.Principal, Reason: fmt.Sprintf(format, args...)})
		}
		e, trusted := trust.Lookup(v.KeyID)
		why := rs.problem(v, c.at, c.own)
		switch {
		case why != "":
			rej("%s", why)
		case !trusted:
			rej("key %s is not in this site's trust config", text.Abbrev(v.KeyID))
		case !e.Has(ScopePolicyApprove):
			rej("principal %s lacks scope %s here", e.Principal, ScopePolicyApprove)
		case authorKeys[v.KeyID] || authors[e.Principal]:
			rej("%s drafted or submitted this version (separation of duties)", e.Principal)
		case !p.AckSimulation || !p.AckDeterminism:
			rej("the approval does not acknowledge the simulation and determinism checks")
		case slices.Contains(rep.Approvers, e.Principal):
			rej("%s already approved; the quorum counts distinct principals", e.Principal)
		default:
			rep.Approvers = append(rep.Approvers, e.Principal)
			rep.counted = append(rep.counted, v.Digest)
		}
	}
	slices.Sort(rep.Approvers)
	rep.Approved = len(rep.Approvers) >= quorum
	return rep, nil
}

// Evidence is the governance record of one policy version as it travels in
// a bundle: the signed statements of its open submission round (who
// drafted and submitted it, and the approvals of that submission), each
// with its signer's public key when known.
type Evidence struct {
	PolicyID   string   `json:"policyId"`
	Version    int      `json:"version"`
	IRDigest   string   `json:"irDigest"`
	Statements []Signed `json:"statements"`
}

// ExportEvidence collects the evidence of a version for a bundle: every
// policy.drafted statement, the policy.submitted statement of the open
// round and the approvals of that round (docs/governance.md "Submission
// rounds"), in the order they were recorded. A version whose last round
// was sent back carries that round's submission and the request for
// changes that closed it, and no approval, so that a site which imported
// the round approved closes it too.
func ExportEvidence(ctx context.Context, tx *store.Tx, policyID string, version int) (*Evidence, error) {
	v, err := resolve(ctx, tx, policyString(policyID, version), latest)
	if err != nil {
		return nil, err
	}
	ss, err := verifiedStatements(ctx, tx, v.String())
	if err != nil {
		return nil, err
	}
	type item struct {
		s  Signed
		v  *Verified
		at string
	}
	var rs rounds
	items := make([]item, len(ss))
	for i, c := range ss {
		items[i] = item{s: c.s, v: c.v, at: rs.add(c.v)}
	}
	// The round the bundle carries: the open one, else the last one, sent back.
	carried := rs.open
	if carried == "" && len(rs.subs) > 0 {
		carried = rs.subs[len(rs.subs)-1]
	}
	ev := &Evidence{PolicyID: v.pv.PolicyID, Version: v.pv.Version, IRDigest: v.pv.IRDigest, Statements: []Signed{}}
	for _, it := range items {
		switch p := &it.v.Predicate; p.Action {
		case ActionDrafted:
		case ActionSubmitted:
			if it.v.Digest != carried {
				continue
			}
		case ActionChangesRequested:
			if rs.open != "" || cmp.Or(p.Submission, it.at) != carried {
				continue
			}
		case ActionApproved:
			if rs.problem(it.v, it.at, it.s.own) != "" {
				continue
			}
		default:
			continue
		}
		ev.Statements = append(ev.Statements, it.s)
	}
	return ev, nil
}

// actionRank orders the statements of one round when their recorded order
// is lost (bundles name files by digest).
var actionRank = map[string]int{ActionDrafted: 0, ActionSubmitted: 1, ActionApproved: 2}

// orderEvidence sorts statements into the order of a round: drafted,
// submitted, approvals, each by time then digest. Statements that do not
// verify or whose signer is unknown keep their place at the end; the
// verification reports them.
func orderEvidence(ctx context.Context, ss []Signed) []Signed {
	type item struct {
		s    Signed
		rank int
		at   string
		d    string
	}
	items := make([]item, len(ss))
	for i, s := range ss {
		items[i] = item{s: s, rank: 3, d: canon.Digest(s.Envelope)}
		if s.PublicKey == "" {
			continue
		}
		if v, err := s.Verify(ctx); err == nil {
			if r, ok := actionRank[v.Predicate.Action]; ok {
				items[i].rank = r
			}
			items[i].at = v.Predicate.At
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.at, b.at), cmp.Compare(a.d, b.d))
	})
	out := make([]Signed, len(items))
	for i, it := range items {
		out[i] = it.s
	}
	return out
}

// ImportEvidence stores the evidence that came with a policy version in a
// bundle, inside the importing transaction. Every statement whose signer
// is known here (by the trust config, or as a key the store knows) must
// verify, else fail.Integrity; so must the evidence carry at most one
// submission (a bundle carries one round). The carried round is judged
// with the statements this site already holds about the version
// (docs/governance.md "Submission rounds", docs/bundle.md "Approvals and
// rounds"): approvals of another submission, and a carried round older
// than the submission recorded here, are reported and not recorded. The
// rest is recorded with policy.imported audit events, and the approvals are
// counted under the local trust config and quorum (countApprovals):
// approvals by keys this site does not trust do not count. The local
// version (already stored, with the same IR digest) becomes approved when
// the approvals of its open round reach the quorum, else submitted (or
// draft when no round is open). A version never arrives active:
// activation is the importing site's decision, under its own guards.
// actor names who imported.
func ImportEvidence(ctx context.Context, tx *store.Tx, trust *Trust, s Settings, actor string, local store.PolicyVersion, ev *Evidence) (*ApprovalReport, error) {
	if ev.IRDigest != local.IRDigest || ev.PolicyID != local.PolicyID || ev.Version != local.Version {
		return nil, fail.New(fail.Integrity, "evidence for %s@%d (IR %s) does not belong to the imported %s (IR %s)", ev.PolicyID, ev.Version, ev.IRDigest, local, local.IRDigest)
	}
	ref := &PolicyRef{ID: ev.PolicyID, Version: ev.Version, IRDigest: ev.IRDigest}
	subject := local.String()
	held, err := verifiedStatements(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	var latestSub *Verified // the last submission recorded here
	for _, h := range held {
		have[h.v.Digest] = true
		if h.v.Predicate.Action == ActionSubmitted {
			latestSub = h.v
		}
	}
	// The carried statements this site does not hold yet, verified (v nil:
	// the signer is unknown here).
	var news []checked
	var sub *Verified // the carried submission
	for _, sg := range ev.Statements {
		if sg.PublicKey == "" {
			news = append(news, checked{s: sg})
			continue
		}
		v, err := sg.Verify(ctx)
		if err != nil {
			return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: %w", subject, err))
		}
		if v.Predicate.Action == ActionSubmitted {
			if sub != nil && sub.Digest != v.Digest {
				return nil, fail.New(fail.Integrity, "the evidence of %s carries two submissions (%s, %s); a bundle carries one submission round", subject, text.Abbrev(sub.Digest), text.Abbrev(v.Digest))
			}
			sub = v
		}
		if !have[v.Digest] {
			news = append(news, checked{s: sg, v: v})
		}
	}
	// A carried round not newer than the submission recorded here (by
	// signed time, then signed audit seq) is stale: it was superseded at its
	// source, and recording it would reopen it here.
	stale := ""
	if sub != nil && !have[sub.Digest] && latestSub != nil &&
		cmp.Or(cmp.Compare(sub.Predicate.At, latestSub.Predicate.At), cmp.Compare(sub.Predicate.Seq, latestSub.Predicate.Seq)) <= 0 {
		stale = fmt.Sprintf("the bundle's round (submission %s, %s) is older than submission %s (%s) recorded here",
			text.Abbrev(sub.Digest), sub.Predicate.At, text.Abbrev(latestSub.Digest), latestSub.Predicate.At)
	}
	// The statements of a stale round (its submission, approvals and
	// requests for changes) are reported, never counted or stored.
	var fresh []checked // the carried statements counted
	var staleRej []Rejected
	for _, c := range news {
		if stale != "" && c.v != nil && (c.v.Digest == sub.Digest || c.v.Predicate.Action == ActionApproved || c.v.Predicate.Action == ActionChangesRequested) {
			if c.v.Predicate.Action == ActionApproved {
				staleRej = append(staleRej, Rejected{KeyID: c.v.KeyID, Principal: c.v.Predicate.Actor.Principal, Reason: stale})
			}
			continue
		}
		fresh = append(fresh, c)
	}
	all := append(held, fresh...)
	rep, err := countApprovals(ctx, trust, s.Quorum, ref, all)
	if err != nil {
		return nil, err
	}
	rep.Rejected = append(rep.Rejected, staleRej...)
	// Record what belongs here: drafts, the carried submission and the
	// request for changes that closed it, and the approvals of the open
	// round (counted or not: a key trusted later makes them count).
	var rs rounds
	at := map[string]string{} // statement digest → the round open when it was recorded
	for _, a := range all {
		if a.v != nil {
			at[a.v.Digest] = rs.add(a.v)
		}
	}
	last := int64(0)
	for _, c := range fresh {
		if c.v == nil {
			continue // unverifiable here: reported, never stored
		}
		switch p := &c.v.Predicate; p.Action {
		case ActionChangesRequested:
			// A request for changes travels to close its round here too
			// (closing errs safe); it must name a submission recorded here
			// or carried (a governance@1 one closes the round open here).
			if p.Submission != "" && !have[p.Submission] && (sub == nil || p.Submission != sub.Digest) {
				continue
			}
		case ActionApproved:
			if rs.problem(c.v, at[c.v.Digest], false) != "" {
				continue
			}
		}
		payload := map[string]any{"action": c.v.Predicate.Action, "policyId": local.PolicyID, "version": local.Version,
			"irDigest": ev.IRDigest, "importedBy": actor}
		_, e, err := storeSigned(ctx, tx, ActionImported, c.v.Predicate.Action, subject, c.v.Predicate.Actor.Principal, c.v.KeyID, c.s, payload)
		if err != nil {
			return nil, err
		}
		last = e.Seq
	}
	if last == 0 {
		return rep, nil // nothing new: the version keeps its state
	}
	state := store.StateDraft
	switch {
	case rep.Approved:
		state = store.StateApproved
	case rep.Round != "":
		state = store.StateSubmitted
	}
	cur, err := tx.LifecycleOf(ctx, local.PolicyID, local.Version)
	if err != nil {
		return nil, err
	}
	if cur.State == store.StateActive || cur.State == store.StateArchived {
		return rep, nil // a local decision already took it further
	}
	return rep, tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: local.PolicyID, Version: local.Version, State: state, Reviewers: cur.Reviewers}, last)
}

// BundleApprovals connects bundles to governance (it implements
// bundle.Approvals): export carries the evidence of each policy version,
// import re-verifies it against this site's trust config and quorum.
type BundleApprovals struct {
	Trust    *Trust
	Settings Settings
	Actor    string
	// Reports collects the approval report of every version accepted, for
	// the import command to show.
	Reports []*ApprovalReport
}

// Envelopes returns the DSSE envelopes of pv's evidence (ExportEvidence).
func (b *BundleApprovals) Envelopes(ctx context.Context, tx *store.Tx, pv store.PolicyVersion) ([][]byte, error) {
	ev, err := ExportEvidence(ctx, tx, pv.PolicyID, pv.Version)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ev.Statements))
	for i, s := range ev.Statements {
		out[i] = s.Envelope
	}
	return out, nil
}

// Accept re-verifies the envelopes that came with pv and records them
// (ImportEvidence). The signers' public keys come from the trust config,
// else from the keys the store knows (a bundle registers its trust roots
// before its policies).
func (b *BundleApprovals) Accept(ctx context.Context, tx *store.Tx, pv store.PolicyVersion, envelopes [][]byte) error {
	ev := &Evidence{PolicyID: pv.PolicyID, Version: pv.Version, IRDigest: pv.IRDigest}
	for _, env := range envelopes {
		s := Signed{Envelope: trimNL(env)}
		for _, id := range envelopeKeyIDs(env) {
			if e, ok := b.Trust.Lookup(id); ok {
				pub, err := e.Key.PublicPEM()
				if err != nil {
					return err
				}
				s.PublicKey = string(pub)
				break
			}
			k, err := tx.Key(ctx, id)
			if err == nil {
				s.PublicKey = k.PublicPEM
				break
			}
			if !fail.Is(err, fail.NotFound) {
				return err
			}
		}
		ev.Statements = append(ev.Statements, s)
	}
	ev.Statements = orderEvidence(ctx, ev.Statements)
	rep, err := ImportEvidence(ctx, tx, b.Trust, b.Settings, b.Actor, pv, ev)
	if err != nil {
		return err
	}
	b.Reports = append(b.Reports, rep)
	return nil
}

// Roles returns the scopes the trust config grants a key, for the trust
// roots a bundle records.
func (t *Trust) Roles(keyID string) []string {
	if e, ok := t.Lookup(keyID); ok {
		return e.Scopes
	}
	return nil
}

// envelopeKeyIDs returns the key ids of an envelope's signatures, or none
// when it does not parse.
func envelopeKeyIDs(b []byte) []string {
	env, err := attest.ParseEnvelope("statement", b)
	if err != nil {
		return nil
	}
	var ids []string
	for _, s := range env.Signatures {
		ids = append(ids, s.KeyID)
	}
	return ids
}
