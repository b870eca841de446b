package governance

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestLifecycle walks a policy from draft to active with a quorum of two,
// through every refusal on the way, then supersedes and rolls it back.
func TestLifecycle(t *testing.T) {
	w := newWorld(t, 2)
	ctx, as := w.ctx, w.as
	v1 := w.draft("", cleanPolicy)
	if v1 != "P-1@1" || w.state(v1) != store.StateDraft {
		t.Fatalf("draft %s is %s", v1, w.state(v1))
	}

	_, err := w.reg.Submit(ctx, as["alice"], "P-1", []string{"bob"})
	refused(t, err, GuardSimulation, "no succeeded simulation of P-1@1")
	w.run(v1, store.ModeSimulate, false, true) // a failed simulation is no evidence
	_, err = w.reg.Submit(ctx, as["alice"], "P-1", []string{"bob"})
	refused(t, err, GuardSimulation, "last 24h")
	sim := w.run(v1, store.ModeSimulate, false, false)

	_, err = w.reg.Submit(ctx, as["alice"], "P-1", []string{"carol"})
	refused(t, err, GuardScope, "missing scope policy:review: reviewer carol")
	_, err = w.reg.Submit(ctx, as["alice"], "P-1", []string{"nobody"})
	if fail.KindOf(err) != fail.Invalid {
		t.Fatalf("unknown reviewer: %v", err)
	}
	tr, err := w.reg.Submit(ctx, as["alice"], "P-1", []string{"bob"})
	if err != nil || tr.State != store.StateSubmitted || tr.Evidence != sim {
		t.Fatalf("submit: %+v %v", tr, err)
	}
	_, err = w.reg.Submit(ctx, as["alice"], "P-1", []string{"bob"})
	refused(t, err, GuardState, "P-1@1 is submitted; only a draft can be submitted")

	_, err = w.reg.Approve(ctx, as["alice"], "P-1", approve("mine"))
	refused(t, err, GuardSoD, "alice authored P-1@1 and cannot approve it")
	_, err = w.reg.Approve(ctx, as["bob"], "P-1", approve("lgtm"))
	refused(t, err, GuardScope, "missing scope policy:approve: principal bob")
	_, err = w.reg.Approve(ctx, as["carol"], "P-1", ApproveRequest{Note: "ok", AckSimulation: true})
	refused(t, err, GuardAck, "--ack-determinism")

	tr, err = w.reg.Approve(ctx, as["carol"], "P-1", approve("simulation reviewed"))
	if err != nil || tr.State != store.StateSubmitted || !slices.Equal(tr.Approvals.Approvers, []string{"carol"}) || tr.Approvals.Approved {
		t.Fatalf("first approval: %+v %v", tr, err)
	}
	_, err = w.reg.Approve(ctx, as["carol"], "P-1", approve("again"))
	refused(t, err, GuardQuorum, "carol has already approved P-1@1; the quorum of 2 needs distinct approvers")

	_, err = w.reg.Activate(ctx, as["bob"], "P-1", "")
	refused(t, err, GuardQuorum, "P-1@1 has 1 of 2 required approvals (carol)")

	tr, err = w.reg.Approve(ctx, as["dave"], "P-1", approve("determinism checked"))
	if err != nil || tr.State != store.StateApproved || !slices.Equal(tr.Approvals.Approvers, []string{"carol", "dave"}) {
		t.Fatalf("second approval: %+v %v", tr, err)
	}

	_, err = w.reg.Activate(ctx, as["carol"], "P-1", "")
	refused(t, err, GuardScope, "missing scope policy:activate")
	_, err = w.reg.Activate(ctx, as["bob"], "P-1", "")
	refused(t, err, GuardRun, "P-1@1 has no full run on record")
	w.run(v1, store.ModeRun, false, true)
	_, err = w.reg.Activate(ctx, as["bob"], "P-1", "")
	refused(t, err, GuardRun, "failed: snapshot unreadable")
	full := w.run(v1, store.ModeRun, false, false)
	tr, err = w.reg.Activate(ctx, as["bob"], "P-1", "")
	if err != nil || tr.State != store.StateActive || tr.Evidence != full || tr.Superseded != "" {
		t.Fatalf("activate: %+v %v", tr, err)
	}
	_, err = w.reg.Activate(ctx, as["bob"], "P-1@1", "")
	refused(t, err, GuardState, "P-1@1 is already active")

	// Version 2 supersedes version 1.
	v2 := w.draft("P-1", cleanPolicyV2)
	w.run(v2, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(ctx, as["alice"], v2, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.Activate(ctx, as["bob"], v2, "")
	refused(t, err, GuardApproval, "P-1@2 is submitted and has no valid approval")
	for _, p := range []string{"carol", "dave"} {
		if _, err := w.reg.Approve(ctx, as[p], v2, approve("ok")); err != nil {
			t.Fatal(err)
		}
	}
	w.run(v2, store.ModeRun, false, false)
	tr, err = w.reg.Activate(ctx, as["bob"], "P-1", "")
	if err != nil || tr.Subject != "P-1@2" || tr.Superseded != "P-1@1" {
		t.Fatalf("activate v2: %+v %v", tr, err)
	}
	if w.state(v1) != store.StateArchived || w.state(v2) != store.StateActive {
		t.Fatalf("states after supersede: %s %s", w.state(v1), w.state(v2))
	}

	// Rollback needs an incident, and a version that was active.
	_, err = w.reg.Rollback(ctx, as["bob"], "P-1", 1, "")
	refused(t, err, GuardIncident, "--incident")
	v3 := w.draft("P-1", strings.Replace(cleanPolicyV2, "High and", "All high and", 1))
	_, err = w.reg.Rollback(ctx, as["bob"], "P-1", 3, "INC-7")
	refused(t, err, GuardState, v3+" was never active")
	tr, err = w.reg.Rollback(ctx, as["bob"], "P-1", 1, "INC-7")
	if err != nil || tr.Subject != "P-1@1" || tr.Superseded != "P-1@2" {
		t.Fatalf("rollback: %+v %v", tr, err)
	}
	if w.state(v1) != store.StateActive || w.state(v2) != store.StateArchived {
		t.Fatalf("states after rollback: %s %s", w.state(v1), w.state(v2))
	}

	vs, err := w.reg.Versions(ctx, "P-1")
	if err != nil || len(vs) != 3 {
		t.Fatalf("versions: %v %v", vs, err)
	}
	if vs[0].State != store.StateActive || !slices.Equal(vs[0].Approvers, []string{"carol", "dave"}) || vs[0].Author != "alice" || vs[2].State != store.StateDraft {
		t.Fatalf("versions: %+v", vs)
	}
	ps, err := w.reg.Status(ctx, "")
	if err != nil || len(ps) != 1 || ps[0].Active == nil || ps[0].Active.Version != 1 || ps[0].Latest.Version != 3 || ps[0].Versions != 3 {
		t.Fatalf("status: %+v %v", ps, err)
	}

	// Every transition is a verified statement in a sound chain.
	rep, err := VerifyAudit(ctx, w.st, w.reg.Trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Statements != 13 {
		t.Fatalf("audit: %+v", rep)
	}
}

func TestActivationRefusesBlockingConflict(t *testing.T) {
	w := newWorld(t, 1)
	tr, res, err := w.reg.Draft(w.ctx, w.as["alice"], "", "conflict.stella", []byte(conflictPolicy))
	if err != nil || len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "1 BLOCKING rule conflict") {
		t.Fatalf("draft: %+v %v %v", tr, err, res)
	}
	w.run(tr.Subject, store.ModeSimulate, false, false)
	sub, err := w.reg.Submit(w.ctx, w.as["alice"], tr.Subject, []string{"bob"})
	if err != nil || len(sub.Warnings) != 1 {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	if _, err := w.reg.Approve(w.ctx, w.as["carol"], tr.Subject, approve("ok")); err != nil {
		t.Fatal(err)
	}
	w.run(tr.Subject, store.ModeRun, false, false)
	_, err = w.reg.Activate(w.ctx, w.as["bob"], tr.Subject, "")
	refused(t, err, GuardConflicts, "P-1@1:9:10: blocking: rules block_high (4:10) and pass_npm")
}

func TestShadowEvidence(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Approve(w.ctx, w.as["dave"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	full := w.run(ref, store.ModeRun, false, true) // the latest full run failed …
	_, err := w.reg.Activate(w.ctx, w.as["bob"], ref, full)
	refused(t, err, GuardRun, "is not a shadow run")
	shadow := w.run(ref, store.ModeRun, true, false)
	_, err = w.reg.Activate(w.ctx, w.as["bob"], ref, "run:nope")
	if fail.KindOf(err) != fail.NotFound {
		t.Fatalf("unknown shadow run: %v", err)
	}
	tr, err := w.reg.Activate(w.ctx, w.as["bob"], ref, shadow) // … but a shadow run succeeded
	if err != nil || tr.Evidence != shadow {
		t.Fatalf("activate on shadow evidence: %+v %v", tr, err)
	}
}

func TestRequestChangesResetsApprovals(t *testing.T) {
	w := newWorld(t, 2)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	_, err := w.reg.Review(w.ctx, w.as["bob"], ref, "", true)
	if fail.KindOf(err) != fail.Invalid {
		t.Fatalf("review without comment: %v", err)
	}
	tr, err := w.reg.Review(w.ctx, w.as["bob"], ref, "cover npm too", true)
	if err != nil || tr.State != store.StateDraft {
		t.Fatalf("request changes: %+v %v", tr, err)
	}
	if _, err := w.reg.Review(w.ctx, w.as["bob"], ref, "noted", false); err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.Approve(w.ctx, w.as["dave"], ref, approve("ok"))
	refused(t, err, GuardState, "P-1@1 is draft")
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	tr, err = w.reg.Approve(w.ctx, w.as["dave"], ref, approve("ok"))
	if err != nil || !slices.Equal(tr.Approvals.Approvers, []string{"dave"}) || tr.State != store.StateSubmitted {
		t.Fatalf("carol's approval of the earlier round still counts: %+v %v", tr.Approvals, err)
	}
}

func TestSubmitNeedsAFreshSimulation(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	w.clock.advance(25 * time.Hour)
	_, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"})
	refused(t, err, GuardSimulation, "in the last 24h")
	w.run(ref, store.ModeRun, true, false) // a shadow run of the same IR is a fresh record too
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
}

func TestTrustAndScopes(t *testing.T) {
	w := newWorld(t, 1)
	_, _, err := w.reg.Draft(w.ctx, w.as["bob"], "", "p.stella", []byte(cleanPolicy))
	refused(t, err, GuardScope, "missing scope policy:author: principal bob")
	stranger, _ := attest.Generate(attest.Ed25519)
	_, err = w.reg.Actor(stranger)
	refused(t, err, GuardTrust, "is not in")
	pub, _ := stranger.PublicPEM()
	pubOnly, _ := attest.ParsePEM("pub", pub)
	if _, err := w.reg.Actor(pubOnly); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("acting with a public key: %v", err)
	}
	// Registering a file that does not compile registers nothing.
	tr, res, err := w.reg.Draft(w.ctx, w.as["alice"], "", "bad.stella", []byte(`policy "x" syntax "stella-dsl@1" { rule r { when nope then status := "blocked" because "b" } }`))
	if fail.KindOf(err) != fail.Invalid || tr != nil || len(res.Diagnostics) == 0 {
		t.Fatalf("bad source: %+v %v", tr, err)
	}
	if ps, _ := w.reg.Status(w.ctx, ""); len(ps) != 0 {
		t.Fatalf("a failed draft registered %+v", ps)
	}
	// The same source again is unchanged; another policy's name under P-1 is refused.
	ref := w.draft("", cleanPolicy)
	tr, _, err = w.reg.Draft(w.ctx, w.as["alice"], "P-1", "p.stella", []byte(cleanPolicy))
	if err != nil || tr.Action != "unchanged" || tr.Subject != ref {
		t.Fatalf("same draft again: %+v %v", tr, err)
	}
	_, _, err = w.reg.Draft(w.ctx, w.as["alice"], "P-1", "c.stella", []byte(conflictPolicy))
	if fail.KindOf(err) != fail.Invalid || !strings.Contains(err.Error(), `P-1 is policy "Gate"`) {
		t.Fatalf("renaming draft: %v", err)
	}
}

func TestArchiveReferences(t *testing.T) {
	w := newWorld(t, 1)
	activate := func(id, src string) string {
		ref := w.draft(id, src)
		w.run(ref, store.ModeSimulate, false, false)
		if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok")); err != nil {
			t.Fatal(err)
		}
		w.run(ref, store.ModeRun, false, false)
		if _, err := w.reg.Activate(w.ctx, w.as["bob"], ref, ""); err != nil {
			t.Fatal(err)
		}
		return ref
	}
	base := activate("", cleanPolicy)
	dependent := activate("", strings.Replace(strings.Replace(cleanPolicy, `"Gate"`, `"Overlay"`, 1), "{\n  rule", "{\n  metadata { depends_on = [\"P-1\"] }\n  rule", 1))
	_, err := w.reg.Archive(w.ctx, w.as["bob"], "P-1", "retired")
	refused(t, err, GuardReferences, "P-1 is referenced by active policy "+dependent+" (depends_on)")
	if _, err := w.reg.Archive(w.ctx, w.as["bob"], "P-2", "retired"); err != nil {
		t.Fatal(err)
	}
	// An exception scoped to P-1 also holds it.
	_, _, err = w.reg.RequestException(w.ctx, w.as["alice"], ExceptionRequest{Vulns: []string{"CVE-2024-1"}, Effect: "suppress",
		Justification: "vendor fix pending", Owner: "team-a", Expires: "30d", PolicyID: "P-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.Archive(w.ctx, w.as["bob"], "P-1", "retired")
	refused(t, err, GuardReferences, "exception EX-1 (requested)")
	w.clock.advance(31 * 24 * time.Hour)
	tr, err := w.reg.Archive(w.ctx, w.as["bob"], "P-1", "retired")
	if err != nil || tr.Subject != base || w.state(base) != store.StateArchived {
		t.Fatalf("archive after the exception expired: %+v %v", tr, err)
	}
	_, err = w.reg.Archive(w.ctx, w.as["bob"], base, "again")
	refused(t, err, GuardState, "already archived")
}

// TestQuorumInForce checks that approvals are counted under the quorum and
// trust config in force at activation, not those at approval time.
func TestQuorumInForce(t *testing.T) {
	w := newWorld(t, 2)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	w.run(ref, store.ModeRun, false, false)
	_, err := w.reg.Activate(w.ctx, w.as["bob"], ref, "")
	refused(t, err, GuardQuorum, "1 of 2 required approvals (carol)")

	w.reg.Settings.Quorum = 1 // the site lowers its quorum: carol's approval suffices
	if vs, _ := w.reg.Versions(w.ctx, "P-1"); vs[0].State != store.StateApproved {
		t.Fatalf("effective state %s", vs[0].State)
	}
	// carol's key is no longer trusted: her approval stops counting.
	if _, err := w.reg.Trust.Remove("carol"); err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.Activate(w.ctx, w.as["bob"], ref, "")
	refused(t, err, GuardApproval, "has no valid approval")
	if vs, _ := w.reg.Versions(w.ctx, "P-1"); vs[0].State != store.StateSubmitted || len(vs[0].Approvers) != 0 {
		t.Fatalf("after distrusting carol: %+v", vs[0])
	}
	if _, err := w.reg.Approve(w.ctx, w.as["dave"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	if tr, err := w.reg.Activate(w.ctx, w.as["bob"], ref, ""); err != nil || tr.State != store.StateActive {
		t.Fatalf("activate: %+v %v", tr, err)
	}
}

// TestApproveNeedsReplay: the determinism acknowledgement needs an
// identical recorded replay of the simulation (exit 3 naming the run
// otherwise); a replay that differed does not count.
func TestApproveNeedsReplay(t *testing.T) {
	w := newWorld(t, 1)
	w.noReplay = true
	ref := w.draft("", cleanPolicy)
	sim := w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	_, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok"))
	refused(t, err, GuardReplay, "needs an identical replay of the recorded simulation "+sim+", which was evaluated on loose input files")
	w.replayed(sim, "sha256:"+strings.Repeat("0", 64))
	_, err = w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok"))
	refused(t, err, GuardReplay, "was not identical")
	var findings string
	w.st.View(w.ctx, func(tx *store.Tx) error {
		r, err := tx.Run(w.ctx, sim)
		findings = r.FindingsDigest
		return err
	})
	w.replayed(sim, findings)
	if tr, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok")); err != nil || tr.State != store.StateApproved {
		t.Fatalf("approve after an identical replay: %+v %v", tr, err)
	}
}

// TestResubmittedRound: an approval approves one submission. Approved,
// sent back and resubmitted with the same IR, the version is not approved
// until the new round reaches the quorum; the earlier approval is listed
// as not counted.
func TestResubmittedRound(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	first, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok"))
	if err != nil || tr.State != store.StateApproved || tr.Approvals.Round != first.Statement {
		t.Fatalf("first approval: %+v %v", tr, err)
	}
	if v := w.statement(tr.Statement); v.Predicate.Submission != first.Statement || v.Format != 2 {
		t.Fatalf("the approval names submission %q (format %d), want %s", v.Predicate.Submission, v.Format, first.Statement)
	}
	back, err := w.reg.Review(w.ctx, w.as["bob"], ref, "tighten the npm rule", true)
	if err != nil {
		t.Fatal(err)
	}
	if v := w.statement(back.Statement); v.Predicate.Submission != first.Statement {
		t.Fatalf("the send-back names submission %q, want %s", v.Predicate.Submission, first.Statement)
	}
	second, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"})
	if err != nil || second.Statement == first.Statement {
		t.Fatalf("resubmit: %+v %v", second, err)
	}
	w.run(ref, store.ModeRun, false, false)
	_, err = w.reg.Activate(w.ctx, w.as["bob"], ref, "")
	refused(t, err, GuardApproval, "no valid approval; only an approved version can be activated; not counted: carol: it approves submission")
	if w.state(ref) != store.StateSubmitted {
		t.Fatalf("state %s", w.state(ref))
	}
	tr, err = w.reg.Approve(w.ctx, w.as["carol"], ref, approve("again"))
	if err != nil || tr.State != store.StateApproved || !slices.Equal(tr.Approvals.Approvers, []string{"carol"}) || len(tr.Approvals.Rejected) != 1 {
		t.Fatalf("carol approves the new round: %+v %v", tr, err)
	}
	if _, err := w.reg.Activate(w.ctx, w.as["bob"], ref, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAudit(w.ctx, w.st, w.reg.Trust); err != nil {
		t.Fatal(err)
	}
}

// statement reads a stored statement by digest, verified.
func (w *world) statement(digest string) *Verified {
	w.t.Helper()
	var v *Verified
	err := w.st.View(w.ctx, func(tx *store.Tx) error {
		rows, err := tx.Statements(w.ctx, store.StatementFilter{})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Digest == digest {
				v, err = Signed{Envelope: r.Envelope, PublicKey: r.PublicPEM}.Verify(w.ctx)
				return err
			}
		}
		return fail.New(fail.NotFound, "no statement %s", digest)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// recordV1 records what an older stella recorded: p signed in
// governance@1 (no submission round) by who, with its audit event, and
// the version's state afterwards.
func (w *world) recordV1(who, ref string, p *Predicate, state string) {
	w.t.Helper()
	w.recordAs(1, who, ref, p, state)
}

// recordAs records p signed by who in format 1 or 2 behind the registry's
// back, with its audit event and the version's state afterwards.
func (w *world) recordAs(format int, who, ref string, p *Predicate, state string) {
	w.t.Helper()
	err := w.st.Update(w.ctx, func(tx *store.Tx) error {
		v, err := resolve(w.ctx, tx, ref, latest)
		if err != nil {
			return err
		}
		if p.Seq, err = tx.NextSeq(w.ctx); err != nil {
			return err
		}
		p.Tenant, p.At, p.Policy = w.st.Tenant(), w.clock.text(0), v.ref()
		s := signAs(w.t, w, who, format, p)
		_, ev, err := storeSigned(w.ctx, tx, p.Action, p.Action, v.String(), who, w.keys[who].ID, s, policyPayload(v))
		if err != nil {
			return err
		}
		return tx.SetLifecycle(w.ctx, store.Lifecycle{PolicyID: v.pv.PolicyID, Version: v.pv.Version, State: state, Reviewers: v.lc.Reviewers}, ev.Seq)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.clock.advance(time.Second)
}

// TestOldFormatApprovals: approvals recorded before submission rounds
// (governance@1) still verify and count in the round the audit chain
// recorded them in: one stops counting once the version is submitted
// again, and one this site recorded in the new round counts.
func TestOldFormatApprovals(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	w.recordV1("carol", ref, &Predicate{Action: ActionApproved, Note: "ok", AckSimulation: true, AckDeterminism: true}, store.StateApproved)
	vs, err := w.reg.Versions(w.ctx, "P-1")
	if err != nil || vs[0].State != store.StateApproved || !slices.Equal(vs[0].Approvers, []string{"carol"}) {
		t.Fatalf("one round: %+v %v", vs, err)
	}
	if _, err := VerifyAudit(w.ctx, w.st, w.reg.Trust); err != nil {
		t.Fatalf("audit verify of an old-format approval: %v", err)
	}
	w.recordV1("bob", ref, &Predicate{Action: ActionChangesRequested, Comment: "no"}, store.StateDraft)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	w.run(ref, store.ModeRun, false, false)
	_, err = w.reg.Activate(w.ctx, w.as["bob"], ref, "")
	refused(t, err, GuardApproval, "not counted: carol: the approval predates submission rounds")
	w.recordV1("dave", ref, &Predicate{Action: ActionApproved, Note: "ok", AckSimulation: true, AckDeterminism: true}, store.StateApproved)
	tr, err := w.reg.Activate(w.ctx, w.as["bob"], ref, "")
	if err != nil || !slices.Equal(tr.Approvals.Approvers, []string{"dave"}) || !strings.Contains(tr.Approvals.Rejected[0].Reason, "was not recorded in the open round") {
		t.Fatalf("activation on dave's old-format approval of the new round: %+v %v", tr, err)
	}
	if _, err := VerifyAudit(w.ctx, w.st, w.reg.Trust); err != nil {
		t.Fatal(err)
	}
}

// TestAuditNamesRecordedSubmissions: audit verify refuses an approval that
// names a submission the chain never recorded for that version.
func TestAuditNamesRecordedSubmissions(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	w.recordAs(2, "carol", ref, &Predicate{Action: ActionApproved, Note: "ok", AckSimulation: true, AckDeterminism: true,
		Submission: "sha256:" + strings.Repeat("0", 64)}, store.StateSubmitted)
	_, err := VerifyAudit(w.ctx, w.st, w.reg.Trust)
	if fail.KindOf(err) != fail.Integrity || !strings.Contains(err.Error(), "which no earlier policy.submitted statement of P-1@1 is") {
		t.Fatalf("approval of an unrecorded submission: %v", err)
	}
}

// TestLifecycleRule pins the rule a lifecycle row is checked by, locally
// (CheckLifecycle) and in PostgreSQL (`audit verify --dsn`): which state an
// event can leave a version in (Leaves), and which later event makes a
// row's state stale (Outdates).
func TestLifecycleRule(t *testing.T) {
	ev := func(seq int64, typ, subject, payload string) LifecycleEvent {
		t.Helper()
		le, ok := LifecycleEventOf(store.Event{Seq: seq, Type: typ, Subject: subject, Payload: []byte(payload)})
		if !ok {
			t.Fatalf("%s is a transition", typ)
		}
		return le
	}
	if _, ok := LifecycleEventOf(store.Event{Type: ActionCommented, Subject: "P-1@1", Payload: []byte(`{}`)}); ok {
		t.Fatal("a comment is not a transition")
	}
	back := ev(9, ActionRollback, "P-1@1", `{"from":"P-1@2"}`)
	for _, tc := range []struct {
		name  string
		e     LifecycleEvent
		subj  string
		state string
		want  bool
	}{
		{"activated", ev(5, ActionActivated, "P-1@1", `{}`), "P-1@1", store.StateActive, true},
		{"activated is not archived", ev(5, ActionActivated, "P-1@1", `{}`), "P-1@1", store.StateArchived, false},
		{"another version", ev(5, ActionActivated, "P-1@2", `{}`), "P-1@1", store.StateActive, false},
		{"approved may stay submitted", ev(5, ActionApproved, "P-1@1", `{}`), "P-1@1", store.StateSubmitted, true},
		{"imported", ev(5, ActionImported, "P-1@1", `{}`), "P-1@1", store.StateApproved, true},
		{"rollback to", back, "P-1@1", store.StateActive, true},
		{"rollback from", back, "P-1@2", store.StateArchived, true},
		{"rollback from is not active", back, "P-1@2", store.StateActive, false},
		{"rollback without from", ev(9, ActionRollback, "P-1@1", `{}`), "P-1@2", store.StateArchived, false},
	} {
		if got := tc.e.Leaves(tc.subj, tc.state); got != tc.want {
			t.Errorf("Leaves %s: got %v", tc.name, got)
		}
	}
	for _, tc := range []struct {
		name  string
		e     LifecycleEvent
		subj  string
		state string
		want  string
	}{
		{"archived later", ev(7, ActionArchived, "P-1@1", `{}`), "P-1@1", store.StateActive, "is older than audit event 7 (policy.archived)"},
		{"another version", ev(7, ActionArchived, "P-1@2", `{}`), "P-1@1", store.StateActive, ""},
		{"imported over a draft", ev(7, ActionImported, "P-1@1", `{}`), "P-1@1", store.StateDraft, "is older than audit event 7 (policy.imported)"},
		{"imported over an active version", ev(7, ActionImported, "P-1@1", `{}`), "P-1@1", store.StateActive, ""},
		{"imported over an archived version", ev(7, ActionImported, "P-1@1", `{}`), "P-1@1", store.StateArchived, ""},
		{"rolled back to", back, "P-1@1", store.StateArchived, "is older than audit event 9 (policy.rollback)"},
		{"rolled back from", back, "P-1@2", store.StateActive, "is older than audit event 9 (policy.rollback from it)"},
	} {
		if got := tc.e.Outdates(tc.subj, tc.state); got != tc.want {
			t.Errorf("Outdates %s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
