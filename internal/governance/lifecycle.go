package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// The lifecycle (docs/governance.md "Lifecycle"):
//
//	draft ──submit──▶ submitted ──approve (quorum)──▶ approved ──activate──▶ active ──archive──▶ archived
//	  ▲                  │                               │                      ▲
//	  └─request changes──┴───────────────────────────────┘          rollback ──┘ (from archived, with --incident)
//
// Versions are immutable; a change is a new draft version. At most one
// version of a policy is active: activating another archives it.

// A lifecycle row is checked against the audit event that set it
// (updated_by) and the events since: the event must be about the version
// and be a transition that ends in the row's state, the statement it
// records must be the one stored and signed, and no later transition of
// the version may exist. `UPDATE policy_lifecycle SET state='active'`
// therefore fails every read (exit 6 naming the version).

// endsIn lists, per audit event type about a version, the states that
// event can leave the version in.
var endsIn = map[string][]string{
	ActionDrafted:          {store.StateDraft},
	ActionReviewRequested:  {store.StateSubmitted},
	ActionChangesRequested: {store.StateDraft},
	ActionApproved:         {store.StateSubmitted, store.StateApproved},
	ActionActivated:        {store.StateActive},
	ActionArchived:         {store.StateArchived},
	ActionRollback:         {store.StateActive},
	ActionImported:         {store.StateDraft, store.StateSubmitted, store.StateApproved},
}

// LifecycleEvent is what the lifecycle rule reads of an audit event
// (docs/governance.md "Threat model"): CheckLifecycle reads it from the
// local chain, `audit verify --dsn` from each site's chain in PostgreSQL
// (docs/sync.md "What audit verify checks").
type LifecycleEvent struct {
	Seq           int64
	Type, Subject string
	// From is, for a policy.rollback, the version it rolled back from
	// (its payload's from), which it leaves archived.
	From string
}

// LifecycleEventOf reads e for the lifecycle rule; false when e changes
// no version's lifecycle.
func LifecycleEventOf(e store.Event) (LifecycleEvent, bool) {
	le := LifecycleEvent{Seq: e.Seq, Type: e.Type, Subject: e.Subject}
	if _, ok := endsIn[e.Type]; !ok {
		return le, false
	}
	if e.Type == ActionRollback {
		var p struct {
			From string `json:"from"`
		}
		if json.Unmarshal(e.Payload, &p) == nil {
			le.From = p.From
		}
	}
	return le, true
}

// Leaves reports whether e can leave version subj (P-n@v) in state: a
// transition of subj that ends there, or a rollback from subj, which
// archives it.
func (e LifecycleEvent) Leaves(subj, state string) bool {
	switch {
	case e.Subject == subj:
		return slices.Contains(endsIn[e.Type], state)
	case e.Type == ActionRollback && e.From == subj:
		return state == store.StateArchived
	}
	return false
}

// Outdates says how e, an event after the one that left version subj in
// state, makes that state stale — a later transition of subj (but an
// import, which does not move a settled, active or archived, version) or
// a rollback from subj —, and "" when it does not.
func (e LifecycleEvent) Outdates(subj, state string) string {
	settled := state == store.StateActive || state == store.StateArchived
	switch {
	case e.Subject == subj && endsIn[e.Type] != nil && !(e.Type == ActionImported && settled):
		return fmt.Sprintf("is older than audit event %d (%s)", e.Seq, e.Type)
	case e.Type == ActionRollback && e.From == subj:
		return fmt.Sprintf("is older than audit event %d (%s from it)", e.Seq, e.Type)
	}
	return ""
}

// Draft registers src (file names it in diagnostics) as the next version of
// policyID, or of a new policy P-n when policyID is "". The result carries
// the diagnostics; a source that does not compile is fail.Invalid and
// registers nothing. Registering the same IR as the latest version changes
// nothing (Action "unchanged").
func (r *Registry) Draft(ctx context.Context, a *Actor, policyID, file string, src []byte) (*Transition, *dsl.Result, error) {
	if err := a.require(ActionDrafted); err != nil {
		return nil, nil, err
	}
	if policyID != "" {
		if err := store.ValidPolicyID(policyID); err != nil {
			return nil, nil, err
		}
	}
	res := dsl.CompileResult(file, src)
	if res.Policy == nil {
		return nil, res, fail.New(fail.Invalid, "%s does not compile; nothing was registered", file)
	}
	sm, err := canon.Marshal(res.SourceMap)
	if err != nil {
		return nil, res, err
	}
	var t *Transition
	err = r.Store.Update(ctx, func(tx *store.Tx) error {
		id := policyID
		if id == "" {
			if id, err = tx.NextPolicyID(ctx); err != nil {
				return err
			}
		} else if prev, err := tx.PolicyVersion(ctx, id, 0); err == nil && prev.Name != res.Policy.PolicyID {
			return fail.New(fail.Invalid, "%s is policy %q; %s declares policy %q (register it under another id)", id, prev.Name, file, res.Policy.PolicyID)
		}
		pv, created, err := tx.AddPolicyVersion(ctx, store.NewVersion{PolicyID: id, Name: res.Policy.PolicyID, IR: res.IR,
			Source: src, SourceMap: sm, Author: a.Entry.Principal})
		if err != nil {
			return err
		}
		v := &version{pv: pv}
		if !created {
			lc, err := tx.LifecycleOf(ctx, pv.PolicyID, pv.Version)
			if err != nil {
				return err
			}
			t = &Transition{Subject: v.String(), Action: "unchanged", State: lc.State, Actor: a.Ref(),
				Warnings: []string{v.String() + " already holds this IR (" + pv.IRDigest + "); nothing was registered"}}
			return nil
		}
		p := r.predicate(a, ActionDrafted)
		p.Policy = v.ref()
		st, ev, err := r.record(ctx, tx, a, p, pv.IRDigest, policyPayload(v))
		if err != nil {
			return err
		}
		if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: pv.PolicyID, Version: pv.Version, State: store.StateDraft}, ev.Seq); err != nil {
			return err
		}
		t = &Transition{Subject: v.String(), Action: ActionDrafted, State: store.StateDraft, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq}
		if n := blocking(res); n > 0 {
			t.Warnings = append(t.Warnings, text.Count(n, "BLOCKING rule conflict", "BLOCKING rule conflicts")+": this version can be submitted and approved but not activated")
		}
		return nil
	})
	return t, res, err
}

// Submit asks for review of the latest draft (or P-n@v). The submit gate
// (docs/governance.md "Lifecycle"): the source compiles to the registered IR without errors
// and a succeeded simulation (or run) of that exact IR digest was recorded
// within Settings.SimulationMaxAge. reviewers are principals with
// policy:review other than the author.
func (r *Registry) Submit(ctx context.Context, a *Actor, ref string, reviewers []string) (*Transition, error) {
	if err := a.require(ActionSubmitted); err != nil {
		return nil, err
	}
	reviewers = slices.Compact(slices.Sorted(slices.Values(reviewers)))
	if len(reviewers) == 0 {
		return nil, fail.New(fail.Invalid, "no reviewers: give --reviewers NAME,… (principals with %s)", ScopePolicyReview)
	}
	for _, rv := range reviewers {
		known, granted := r.Trust.HasPrincipal(rv, ScopePolicyReview)
		switch {
		case !known:
			return nil, fail.New(fail.Invalid, "reviewer %q is not a principal of the trust config", rv)
		case !granted:
			return nil, refuse(GuardScope, "missing scope %s: reviewer %s cannot review", ScopePolicyReview, rv)
		case rv == a.Entry.Principal:
			return nil, refuse(GuardSoD, "%s cannot review their own submission", rv)
		}
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, ref, latest)
		if err != nil {
			return err
		}
		if v.lc.State != store.StateDraft {
			return refuse(GuardState, "%s is %s; only a draft can be submitted", v, v.lc.State)
		}
		if slices.Contains(reviewers, v.pv.Author) {
			return refuse(GuardSoD, "%s authored %s and cannot review it", v.pv.Author, v)
		}
		res, err := lint(ctx, tx, v)
		if err != nil {
			return err
		}
		sim, err := tx.LatestRun(ctx, store.RunQuery{IRDigest: v.pv.IRDigest, Modes: []string{store.ModeSimulate, store.ModeRun},
			Status: store.StatusSucceeded, Since: r.since(r.Settings.SimulationMaxAge)})
		if fail.Is(err, fail.NotFound) {
			return refuse(GuardSimulation, "no succeeded simulation of %s (IR %s) was recorded in the last %s: run `stella policy simulate … --record` on it first",
				v, v.pv.IRDigest, text.Age(r.Settings.SimulationMaxAge))
		}
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionSubmitted)
		p.Policy = v.ref()
		p.Reviewers = reviewers
		p.Lint = &LintSummary{Errors: 0, Blocking: blocking(res), Warnings: countSeverity(res, dsl.Warning)}
		p.SimulationRun = sim.RunID
		payload := policyPayload(v)
		payload["reviewers"] = reviewers
		payload["simulationRun"] = sim.RunID
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		req, err := tx.Append(ctx, ActionReviewRequested, a.Entry.Principal, v.String(),
			map[string]any{"reviewers": reviewers, "submission": st.Digest})
		if err != nil {
			return err
		}
		if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: store.StateSubmitted, Reviewers: reviewers}, req.Seq); err != nil {
			return err
		}
		t = &Transition{Subject: v.String(), Action: ActionSubmitted, State: store.StateSubmitted, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq, Evidence: sim.RunID}
		if p.Lint.Blocking > 0 {
			t.Warnings = append(t.Warnings, text.Count(p.Lint.Blocking, "BLOCKING rule conflict", "BLOCKING rule conflicts")+": "+v.String()+" cannot be activated as it is")
		}
		return nil
	})
	return t, err
}

// Review records a reviewer's comment on a version, or, with
// requestChanges, sends a submitted (or approved, not yet active) version
// back to draft: its approvals no longer count and it must be submitted
// again.
func (r *Registry) Review(ctx context.Context, a *Actor, ref, comment string, requestChanges bool) (*Transition, error) {
	action := ActionCommented
	if requestChanges {
		action = ActionChangesRequested
	}
	if err := a.require(action); err != nil {
		return nil, err
	}
	if strings.TrimSpace(comment) == "" {
		return nil, fail.New(fail.Invalid, "a review needs --comment TEXT")
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, ref, latest)
		if err != nil {
			return err
		}
		state := v.lc.State
		switch {
		case requestChanges && state != store.StateSubmitted && state != store.StateApproved:
			return refuse(GuardState, "%s is %s; changes can be requested only on a submitted or approved version", v, state)
		case state == store.StateArchived:
			return refuse(GuardState, "%s is archived", v)
		}
		p := r.predicate(a, action)
		p.Policy = v.ref()
		p.Comment = comment
		if requestChanges {
			// Sending back closes the open round: name it (docs/governance.md "Submission rounds").
			rep, err := r.approvals(ctx, tx, v)
			if err != nil {
				return err
			}
			if rep.Round == "" {
				return refuse(GuardState, "%s is %s but no submission round of it is open on record; submit it again", v, state)
			}
			p.Submission = rep.Round
		}
		payload := policyPayload(v)
		payload["comment"] = comment
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		if requestChanges {
			state = store.StateDraft
			if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: state, Reviewers: v.lc.Reviewers}, ev.Seq); err != nil {
				return err
			}
		}
		t = &Transition{Subject: v.String(), Action: action, State: state, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq}
		return nil
	})
	return t, err
}

// ApproveRequest is what an approver states.
type ApproveRequest struct {
	Note           string
	Attachments    []File
	AckSimulation  bool
	AckDeterminism bool
}

// File is a named file's content.
type File struct {
	Name string
	Data []byte
}

// Approve records an approval of a submitted version. Guards: the
// approver holds policy:approve, neither drafted nor submitted the version,
// has not approved it already, acknowledges the simulation and determinism
// checks, and a succeeded simulation of the exact IR digest is on record.
// The version becomes approved once the distinct approvals reach the
// quorum.
func (r *Registry) Approve(ctx context.Context, a *Actor, ref string, req ApproveRequest) (*Transition, error) {
	if err := a.require(ActionApproved); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Note) == "" {
		return nil, fail.New(fail.Invalid, "an approval needs --note TEXT")
	}
	if !req.AckSimulation || !req.AckDeterminism {
		var miss []string
		if !req.AckSimulation {
			miss = append(miss, "--ack-simulation")
		}
		if !req.AckDeterminism {
			miss = append(miss, "--ack-determinism")
		}
		return nil, refuse(GuardAck, "the approver must acknowledge the simulation and determinism checks: give %s", strings.Join(miss, " and "))
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, ref, latest)
		if err != nil {
			return err
		}
		if v.lc.State != store.StateSubmitted && v.lc.State != store.StateApproved {
			return refuse(GuardState, "%s is %s; only a submitted version can be approved", v, v.lc.State)
		}
		cs, err := verifiedStatements(ctx, tx, v.String())
		if err != nil {
			return err
		}
		if err := r.checkNotAuthor(a, v, cs); err != nil {
			return err
		}
		before, err := countApprovals(ctx, r.Trust, r.Settings.Quorum, v.ref(), cs)
		if err != nil {
			return err
		}
		if slices.Contains(before.Approvers, a.Entry.Principal) {
			return refuse(GuardQuorum, "%s has already approved %s; the quorum of %d needs distinct approvers", a.Entry.Principal, v, before.Quorum)
		}
		if before.Round == "" {
			return refuse(GuardState, "%s is %s but no submission round of it is open on record; it must be submitted again", v, v.lc.State)
		}
		sim, err := tx.LatestRun(ctx, store.RunQuery{IRDigest: v.pv.IRDigest, Modes: []string{store.ModeSimulate, store.ModeRun}, Status: store.StatusSucceeded})
		if fail.Is(err, fail.NotFound) {
			return refuse(GuardSimulation, "no succeeded simulation of %s (IR %s) is on record to acknowledge", v, v.pv.IRDigest)
		}
		if err != nil {
			return err
		}
		sim, replay, err := replayedRun(ctx, tx, v.pv.IRDigest, sim)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionApproved)
		p.Policy = v.ref()
		p.Note = req.Note
		p.Submission = before.Round // the approval approves this submission (docs/governance.md "Submission rounds")
		p.AckSimulation, p.AckDeterminism = true, true
		p.SimulationRun = sim.RunID
		for _, f := range req.Attachments {
			d, err := tx.PutAttachment(ctx, f.Data)
			if err != nil {
				return err
			}
			p.Attachments = append(p.Attachments, Attachment{Name: f.Name, Digest: d, Size: len(f.Data)})
		}
		payload := policyPayload(v)
		payload["note"] = req.Note
		payload["simulationRun"] = sim.RunID
		payload["replayEvent"] = replay
		payload["submission"] = before.Round
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		after, err := r.approvals(ctx, tx, v)
		if err != nil {
			return err
		}
		state := store.StateSubmitted
		if after.Approved {
			state = store.StateApproved
		}
		if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: state, Reviewers: v.lc.Reviewers}, ev.Seq); err != nil {
			return err
		}
		t = &Transition{Subject: v.String(), Action: ActionApproved, State: state, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq, Approvals: after}
		return nil
	})
	return t, err
}

// checkNotAuthor refuses an approval by whoever drafted or submitted the
// version (by key, and by principal under the trust config).
func (r *Registry) checkNotAuthor(a *Actor, v *version, cs []checked) error {
	if v.pv.Author == a.Entry.Principal {
		return refuse(GuardSoD, "%s authored %s and cannot approve it", a.Entry.Principal, v)
	}
	for _, c := range cs {
		sv := c.v
		if sv.Predicate.Action != ActionDrafted && sv.Predicate.Action != ActionSubmitted {
			continue
		}
		e, _ := r.Trust.Lookup(sv.KeyID)
		if sv.KeyID == a.Key.ID || sv.Predicate.Actor.Principal == a.Entry.Principal || e != nil && e.Principal == a.Entry.Principal {
			return refuse(GuardSoD, "%s %s %s and cannot approve it", a.Entry.Principal, strings.TrimPrefix(sv.Predicate.Action, "policy."), v)
		}
	}
	return nil
}

// Activate makes an approved version the active one (P-n alone names the
// newest approved version). Guards: policy:activate; the version is
// approved and its approvals still reach the quorum under the trust config
// in force; it has no BLOCKING rule conflict; and the latest full run of
// its IR succeeded — or shadowRun names a succeeded shadow run of it. The
// version that was active is archived (superseded).
func (r *Registry) Activate(ctx context.Context, a *Actor, ref, shadowRun string) (*Transition, error) {
	if err := a.require(ActionActivated); err != nil {
		return nil, err
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, ref, newestIn(store.StateApproved))
		if err != nil {
			return err
		}
		rep, err := r.approvals(ctx, tx, v)
		if err != nil {
			return err
		}
		switch effectiveState(v.lc.State, rep) {
		case store.StateApproved:
		case store.StateSubmitted:
			if len(rep.Approvers) > 0 {
				return refuse(GuardQuorum, "%s has %d of %d required approvals%s; it is not approved%s", v, len(rep.Approvers), rep.Quorum, approverList(rep), notCounted(rep))
			}
			return refuse(GuardApproval, "%s is submitted and has no valid approval; only an approved version can be activated%s", v, notCounted(rep))
		case store.StateActive:
			return refuse(GuardState, "%s is already active", v)
		default:
			return refuse(GuardApproval, "%s is %s; only an approved version can be activated", v, v.lc.State)
		}
		res, err := lint(ctx, tx, v)
		if err != nil {
			return err
		}
		if n := blocking(res); n > 0 {
			first := res.Diagnostics[slices.IndexFunc(res.Diagnostics, func(d dsl.Diagnostic) bool { return d.Severity == dsl.Blocking })]
			return refuse(GuardConflicts, "%s has %s: %s", v, text.Count(n, "BLOCKING rule conflict", "BLOCKING rule conflicts"), first)
		}
		if err := checkSetConflicts(ctx, tx, v); err != nil {
			return err
		}
		run, err := r.runEvidence(ctx, tx, v, shadowRun)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionActivated)
		p.Policy = v.ref()
		p.EvidenceRun = run.RunID
		p.ShadowEvidence = run.Shadow
		prev, err := activeVersion(ctx, tx, v.pv.PolicyID)
		if err != nil {
			return err
		}
		t = &Transition{Subject: v.String(), Action: ActionActivated, State: store.StateActive, Actor: a.Ref(), Evidence: run.RunID, Approvals: rep}
		if prev != nil {
			// Archive the superseded version first: one active version at a time.
			ap := r.predicate(a, ActionArchived)
			ap.Policy = prev.ref()
			ap.Reason = "superseded by " + v.String()
			payload := policyPayload(prev)
			payload["reason"] = ap.Reason
			_, ev, err := r.record(ctx, tx, a, ap, prev.pv.IRDigest, payload)
			if err != nil {
				return err
			}
			if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: prev.pv.PolicyID, Version: prev.pv.Version, State: store.StateArchived, Reviewers: prev.lc.Reviewers}, ev.Seq); err != nil {
				return err
			}
			p.Superseded = prev.ref()
			t.Superseded = prev.String()
		}
		payload := policyPayload(v)
		payload["evidenceRun"] = run.RunID
		payload["approvers"] = rep.Approvers
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		t.Statement, t.AuditSeq = st.Digest, ev.Seq
		return tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: store.StateActive, Reviewers: v.lc.Reviewers}, ev.Seq)
	})
	return t, err
}

// runEvidence applies the run guard: the latest full (non-shadow) run of
// the version's IR succeeded, or shadowRun is a succeeded shadow run of it.
func (r *Registry) runEvidence(ctx context.Context, tx *store.Tx, v *version, shadowRun string) (*store.Run, error) {
	if shadowRun != "" {
		run, err := tx.Run(ctx, shadowRun)
		if err != nil {
			return nil, err
		}
		switch {
		case !run.Shadow:
			return nil, refuse(GuardRun, "--shadow-evidence %s is not a shadow run", run.RunID)
		case run.IRDigest != v.pv.IRDigest:
			return nil, refuse(GuardRun, "--shadow-evidence %s evaluated IR %s, not %s's %s", run.RunID, run.IRDigest, v, v.pv.IRDigest)
		case run.Status != store.StatusSucceeded:
			return nil, refuse(GuardRun, "--shadow-evidence %s %s: %s", run.RunID, run.Status, run.Error)
		}
		return run, nil
	}
	full := false
	run, err := tx.LatestRun(ctx, store.RunQuery{IRDigest: v.pv.IRDigest, Modes: []string{store.ModeRun}, Shadow: &full})
	if fail.Is(err, fail.NotFound) {
		return nil, refuse(GuardRun, "%s has no full run on record: run `stella policy run %s --snapshot …` (or give --shadow-evidence RUN of a shadow run)", v, v)
	}
	if err != nil {
		return nil, err
	}
	if run.Status != store.StatusSucceeded {
		return nil, refuse(GuardRun, "the latest full run of %s, %s, %s: %s", v, run.RunID, run.Status, run.Error)
	}
	return run, nil
}

// Archive retires a version (P-n alone names its active version). Guard
// references: the active version of a policy cannot be archived while
// another active policy depends on it (metadata depends_on) or a live
// exception waives findings for it.
func (r *Registry) Archive(ctx context.Context, a *Actor, ref, reason string) (*Transition, error) {
	if err := a.require(ActionArchived); err != nil {
		return nil, err
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, ref, newestIn(store.StateActive))
		if err != nil {
			return err
		}
		if v.lc.State == store.StateArchived {
			return refuse(GuardState, "%s is already archived", v)
		}
		if v.lc.State == store.StateActive {
			if err := r.checkReferences(ctx, tx, v.pv.PolicyID); err != nil {
				return err
			}
		}
		p := r.predicate(a, ActionArchived)
		p.Policy = v.ref()
		p.Reason = reason
		payload := policyPayload(v)
		payload["reason"] = reason
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		t = &Transition{Subject: v.String(), Action: ActionArchived, State: store.StateArchived, Actor: a.Ref(), Statement: st.Digest, AuditSeq: ev.Seq}
		return tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: store.StateArchived, Reviewers: v.lc.Reviewers}, ev.Seq)
	})
	return t, err
}

// checkReferences refuses retiring policyID while another active policy
// depends on it or a live exception (requested or approved, not expired)
// is scoped to it.
func (r *Registry) checkReferences(ctx context.Context, tx *store.Tx, policyID string) error {
	ls, err := Lifecycles(ctx, tx, "")
	if err != nil {
		return err
	}
	var refs []string
	for _, l := range ls {
		if l.State != store.StateActive || l.PolicyID == policyID {
			continue
		}
		deps, err := dependsOn(ctx, tx, l)
		if err != nil {
			return err
		}
		if slices.Contains(deps, policyID) {
			refs = append(refs, "active policy "+l.String()+" (depends_on)")
		}
	}
	xs, err := tx.Exceptions(ctx, store.ExceptionFilter{})
	if err != nil {
		return err
	}
	now := timeText(r.Store.Now())
	for _, x := range xs {
		if x.PolicyID == policyID && x.Exception.Status != "revoked" && x.Exception.Expires > now {
			refs = append(refs, "exception "+x.Exception.ID+" ("+x.Exception.Status+")")
		}
	}
	if len(refs) > 0 {
		return refuse(GuardReferences, "%s is referenced by %s; retire those first", policyID, strings.Join(refs, ", "))
	}
	return nil
}

// dependsOn reads the policy ids a version's metadata depends_on lists.
func dependsOn(ctx context.Context, tx *store.Tx, l store.Lifecycle) ([]string, error) {
	pv, err := tx.PolicyVersion(ctx, l.PolicyID, l.Version)
	if err != nil {
		return nil, err
	}
	p, err := storedIR(ctx, tx, pv)
	if err != nil {
		return nil, err
	}
	return policyset.DependsOn(p), nil
}

// Rollback makes an earlier version active again during an incident.
// Guards: policy:activate; incident names the incident (required); the
// target was active before (it passed the activation guards then). The
// current active version is archived; one policy.rollback statement
// records both.
func (r *Registry) Rollback(ctx context.Context, a *Actor, policyID string, to int, incident string) (*Transition, error) {
	if err := store.ValidPolicyID(policyID); err != nil {
		return nil, err
	}
	if err := a.require(ActionRollback); err != nil {
		return nil, err
	}
	if strings.TrimSpace(incident) == "" {
		return nil, refuse(GuardIncident, "a rollback requires --incident REF naming the incident it answers")
	}
	if to < 1 {
		return nil, fail.New(fail.Invalid, "--to: want the version to return to (a number ≥ 1)")
	}
	var t *Transition
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		v, err := resolve(ctx, tx, policyString(policyID, to), latest)
		if err != nil {
			return err
		}
		if v.lc.State == store.StateActive {
			return refuse(GuardState, "%s is already active", v)
		}
		was, err := tx.Statements(ctx, store.StatementFilter{Subject: v.String(), Action: ActionActivated})
		if err != nil {
			return err
		}
		back, err := tx.Statements(ctx, store.StatementFilter{Subject: v.String(), Action: ActionRollback})
		if err != nil {
			return err
		}
		if len(was) == 0 && len(back) == 0 {
			return refuse(GuardState, "%s was never active; a rollback returns to a version that was (activate a new version instead)", v)
		}
		if _, err := lint(ctx, tx, v); err != nil {
			return err
		}
		prev, err := activeVersion(ctx, tx, v.pv.PolicyID)
		if err != nil {
			return err
		}
		p := r.predicate(a, ActionRollback)
		p.Policy = v.ref()
		p.Incident = incident
		payload := policyPayload(v)
		payload["incident"] = incident
		t = &Transition{Subject: v.String(), Action: ActionRollback, State: store.StateActive, Actor: a.Ref()}
		if prev != nil {
			p.Superseded = prev.ref()
			payload["from"] = prev.String()
			t.Superseded = prev.String()
		}
		st, ev, err := r.record(ctx, tx, a, p, v.pv.IRDigest, payload)
		if err != nil {
			return err
		}
		t.Statement, t.AuditSeq = st.Digest, ev.Seq
		if prev != nil {
			if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: prev.pv.PolicyID, Version: prev.pv.Version, State: store.StateArchived, Reviewers: prev.lc.Reviewers}, ev.Seq); err != nil {
				return err
			}
		}
		return tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: store.StateActive, Reviewers: v.lc.Reviewers}, ev.Seq)
	})
	return t, err
}

// activeVersion returns the active version of a policy, or nil.
func activeVersion(ctx context.Context, tx *store.Tx, policyID string) (*version, error) {
	ls, err := Lifecycles(ctx, tx, policyID)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.State == store.StateActive {
			pv, err := tx.PolicyVersion(ctx, l.PolicyID, l.Version)
			if err != nil {
				return nil, err
			}
			return &version{pv: pv, lc: l}, nil
		}
	}
	return nil, nil
}

// effectiveState is what a version's statements add up to under the trust
// config and quorum in force: a submitted version whose approvals reach the
// quorum is approved (the quorum was lowered), an approved one whose
// approvals no longer do is submitted again (the quorum was raised, or an
// approver's key is no longer trusted).
func effectiveState(stored string, rep *ApprovalReport) string {
	switch {
	case stored == store.StateSubmitted && rep.Approved:
		return store.StateApproved
	case stored == store.StateApproved && !rep.Approved:
		return store.StateSubmitted
	}
	return stored
}

// policyPayload is what every policy event says about its version.
func policyPayload(v *version) map[string]any {
	return map[string]any{"policyId": v.pv.PolicyID, "version": v.pv.Version, "irDigest": v.pv.IRDigest}
}

// EventRunReplayed is the audit event `policy replay` records for a
// stored run: payload runId, identical, findingsDigest, explainsDigest
// and, when it differed, firstDifference.
const EventRunReplayed = "policy.run.replayed"

// replayedRun finds the run the approver's determinism acknowledgement
// rests on (docs/governance.md, "Lifecycle"): the most recently replayed
// succeeded simulation or run of the IR whose last policy.run.replayed
// event says the replay was identical to it. It returns that run and the
// event's seq. With none, the approval is refused (GuardReplay), naming
// latest — the newest simulation of the IR — and what it lacks.
func replayedRun(ctx context.Context, tx *store.Tx, irDigest string, latest *store.Run) (*store.Run, int64, error) {
	events, err := tx.Events(ctx, store.EventFilter{Type: EventRunReplayed})
	if err != nil {
		return nil, 0, err
	}
	seen := map[string]bool{}
	for i := len(events) - 1; i >= 0; i-- {
		var p struct {
			RunID          string `json:"runId"`
			Identical      bool   `json:"identical"`
			FindingsDigest string `json:"findingsDigest"`
		}
		if err := json.Unmarshal(events[i].Payload, &p); err != nil {
			return nil, 0, fail.New(fail.Integrity, "audit event %d: %v", events[i].Seq, err)
		}
		if seen[p.RunID] { // only a run's last replay counts
			continue
		}
		seen[p.RunID] = true
		if p.RunID == latest.RunID && (!p.Identical || p.FindingsDigest != latest.FindingsDigest) {
			return nil, 0, refuse(GuardReplay, "the last replay of the recorded simulation %s (audit event %d) was not identical: its outputs are not reproducible, so determinism cannot be acknowledged", latest.RunID, events[i].Seq)
		}
		if !p.Identical {
			continue
		}
		r, err := tx.Run(ctx, p.RunID)
		if fail.Is(err, fail.NotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if r.IRDigest == irDigest && r.Status == store.StatusSucceeded && (r.Mode == store.ModeSimulate || r.Mode == store.ModeRun) && r.FindingsDigest == p.FindingsDigest {
			return r, events[i].Seq, nil
		}
	}
	if latest.SnapshotID == "" {
		return nil, 0, refuse(GuardReplay, "the determinism acknowledgement needs an identical replay of the recorded simulation %s, which was evaluated on loose input files and cannot be replayed: record a simulation on a snapshot (stella snapshot create + import, then policy simulate --snapshot ID --record), replay it, then approve", latest.RunID)
	}
	return nil, 0, refuse(GuardReplay, "the determinism acknowledgement needs an identical replay of the recorded simulation %s: run `stella policy replay %s` first", latest.RunID, latest.RunID)
}

func approverList(rep *ApprovalReport) string {
	if len(rep.Approvers) == 0 {
		return ""
	}
	return " (" + strings.Join(rep.Approvers, ", ") + ")"
}

// notCounted lists the approvals that do not count, for a refusal.
func notCounted(rep *ApprovalReport) string {
	var b strings.Builder
	for _, rj := range rep.Rejected {
		who := rj.Principal
		if who == "" {
			who = text.Abbrev(rj.KeyID)
		}
		b.WriteString("; not counted: " + who + ": " + rj.Reason)
	}
	return b.String()
}

func blocking(res *dsl.Result) int { return countSeverity(res, dsl.Blocking) }

func countSeverity(res *dsl.Result, sev syntax.Severity) int {
	n := 0
	for _, d := range res.Diagnostics {
		if d.Severity == sev {
			n++
		}
	}
	return n
}
