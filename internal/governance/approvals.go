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
	Policy    string     `json:"policy"` // P-n@v as the statements name it
	IRDigest  string     `json:"irDigest"`
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

// VerifyApprovals decides which approvals of the version ref count under
// trust. stmts are every signed statement about the version in the order
// they were recorded (drafted, submitted, reviews, approvals, …), from the
// local store or from a bundle. Every signature whose key is given must
// verify, and every statement must be about ref's policy, version and IR
// digest (its subject is P-n@v, so an approval of one version replayed
// onto another with the same IR never counts);
// anything else is fail.Integrity (the record was tampered with). An
// approval counts when it belongs to the current submission round (after
// the last policy.submitted, with no request for changes since), is signed
// by a key this trust config holds with policy:approve, acknowledges the
// simulation and determinism checks, and comes from a principal who
// neither drafted nor submitted the version; each principal counts once.
// The others are listed in Rejected and never count: this is how approvals
// travelling in a bundle are re-verified at import against the importing
// site's trust config.
func VerifyApprovals(ctx context.Context, trust *Trust, quorum int, ref *PolicyRef, stmts []Signed) (*ApprovalReport, error) {
	if quorum < 1 {
		quorum = DefaultQuorum
	}
	rep := &ApprovalReport{Policy: policyString(ref.ID, ref.Version), IRDigest: ref.IRDigest, Quorum: quorum,
		Approvers: []string{}, Rejected: []Rejected{}}
	authorKeys := map[string]bool{}
	authors := map[string]bool{}
	var round []*Verified
	for i, s := range stmts {
		if s.PublicKey == "" {
			// Nobody here knows the signer, so its content is unproven.
			for _, id := range envelopeKeyIDs(s.Envelope) {
				rep.Rejected = append(rep.Rejected, Rejected{KeyID: id, Reason: "signed by key " + text.Abbrev(id) + ", unknown at this site: its statement is not verified and does not count"})
			}
			continue
		}
		v, err := s.Verify(ctx)
		if err != nil {
			return nil, fail.Wrap(fail.Integrity, fmt.Errorf("statement %d about %s: %w", i+1, rep.Policy, err))
		}
		p := &v.Predicate
		if p.Policy == nil || p.Policy.ID != ref.ID || p.Policy.Version != ref.Version || p.Policy.IRDigest != ref.IRDigest {
			return nil, fail.New(fail.Integrity, "statement %d (%s %s) is not about %s with IR %s", i+1, p.Action, v.Subject, rep.Policy, ref.IRDigest)
		}
		switch p.Action {
		case ActionDrafted, ActionSubmitted:
			authorKeys[v.KeyID] = true
			authors[p.Actor.Principal] = true
			if e, ok := trust.Lookup(v.KeyID); ok {
				authors[e.Principal] = true
			}
			if p.Action == ActionSubmitted {
				round = nil
			}
		case ActionChangesRequested:
			round = nil
		case ActionApproved:
			round = append(round, v)
		}
	}
	for _, v := range round {
		p := &v.Predicate
		rej := func(format string, args ...any) {
			rep.Rejected = append(rep.Rejected, Rejected{KeyID: v.KeyID, Principal: p.Actor.Principal, Reason: fmt.Sprintf(format, args...)})
		}
		e, trusted := trust.Lookup(v.KeyID)
		switch {
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
// a bundle: the signed statements of its current submission round (who
// drafted and submitted it, and the approvals since), each with its
// signer's public key when known.
type Evidence struct {
	PolicyID   string   `json:"policyId"`
	Version    int      `json:"version"`
	IRDigest   string   `json:"irDigest"`
	Statements []Signed `json:"statements"`
}

// ExportEvidence collects the evidence of a version for a bundle: every
// policy.drafted statement, the last policy.submitted and the approvals
// that followed it (none when changes were requested since), in the order
// they were recorded.
func ExportEvidence(ctx context.Context, tx *store.Tx, policyID string, version int) (*Evidence, error) {
	v, err := resolve(ctx, tx, policyString(policyID, version), latest)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Statements(ctx, store.StatementFilter{Subject: v.String()})
	if err != nil {
		return nil, err
	}
	var drafted, round []Signed
	for _, r := range rows {
		s := Signed{Envelope: r.Envelope, PublicKey: r.PublicPEM}
		switch r.Action {
		case ActionDrafted:
			drafted = append(drafted, s)
		case ActionSubmitted:
			round = []Signed{s}
		case ActionChangesRequested:
			round = nil
		case ActionApproved:
			if round != nil {
				round = append(round, s)
			}
		}
	}
	return &Evidence{PolicyID: v.pv.PolicyID, Version: v.pv.Version, IRDigest: v.pv.IRDigest,
		Statements: append(append([]Signed{}, drafted...), round...)}, nil
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
// verify, else fail.Integrity; it is recorded with a policy.imported audit
// event. The approvals are then counted under the local trust config and
// quorum (VerifyApprovals): approvals by keys this site does not trust do
// not count. The local version (already stored, with the same IR digest)
// becomes approved when its approvals reach the quorum, else submitted (or
// draft when it was never submitted). A version never arrives active:
// activation is the importing site's decision, under its own guards.
// actor names who imported.
func ImportEvidence(ctx context.Context, tx *store.Tx, trust *Trust, s Settings, actor string, local store.PolicyVersion, ev *Evidence) (*ApprovalReport, error) {
	if ev.IRDigest != local.IRDigest || ev.PolicyID != local.PolicyID {
		return nil, fail.New(fail.Integrity, "evidence for %s@%d (IR %s) does not belong to the imported %s (IR %s)", ev.PolicyID, ev.Version, ev.IRDigest, local, local.IRDigest)
	}
	ref := &PolicyRef{ID: ev.PolicyID, Version: ev.Version, IRDigest: ev.IRDigest}
	rep, err := VerifyApprovals(ctx, trust, s.Quorum, ref, ev.Statements)
	if err != nil {
		return nil, err
	}
	subject := local.String()
	existing, err := tx.Statements(ctx, store.StatementFilter{Subject: subject})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, s := range existing {
		have[s.Digest] = true
	}
	state, last := store.StateDraft, int64(0)
	for _, sg := range ev.Statements {
		if sg.PublicKey == "" {
			continue // unverifiable here: reported, never stored
		}
		v, err := sg.Verify(ctx)
		if err != nil {
			return nil, err
		}
		if v.Predicate.Action == ActionSubmitted {
			state = store.StateSubmitted
		}
		if have[v.Digest] {
			continue
		}
		payload := map[string]any{"action": v.Predicate.Action, "policyId": local.PolicyID, "version": local.Version,
			"irDigest": ev.IRDigest, "importedBy": actor}
		_, e, err := storeSigned(ctx, tx, ActionImported, v.Predicate.Action, subject, v.Predicate.Actor.Principal, v.KeyID, sg, payload)
		if err != nil {
			return nil, err
		}
		last = e.Seq
	}
	if rep.Approved {
		state = store.StateApproved
	}
	if last == 0 {
		return rep, nil // nothing new: the version keeps its state
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
