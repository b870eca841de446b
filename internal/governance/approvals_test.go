package governance

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// site is another database with its own trust config, sharing some keys
// with a world.
func site(t *testing.T, from *world, quorum int, trusted map[string][]string) *world {
	t.Helper()
	w := newWorld(t, quorum)
	trust := NewTrust("")
	for p, scopes := range trusted {
		if _, err := trust.Add(p, from.keys[p], scopes); err != nil {
			t.Fatal(err)
		}
	}
	w.reg.Trust = trust
	return w
}

// carry moves P-1@1 from a to b the way a bundle does: the version, the
// keys a bundle carries as trust roots, and the evidence envelopes.
func carry(t *testing.T, a, b *world, ba *BundleApprovals) error {
	t.Helper()
	return carryEnvelopes(t, a, b, ba, evidenceEnvelopes(t, a))
}

// evidenceEnvelopes returns the evidence envelopes of P-1@1 at a, in no
// particular order (bundles lose it).
func evidenceEnvelopes(t *testing.T, a *world) [][]byte {
	t.Helper()
	var envs [][]byte
	err := a.st.View(a.ctx, func(tx *store.Tx) error {
		pv, err := tx.PolicyVersion(a.ctx, "P-1", 1)
		if err != nil {
			return err
		}
		envs, err = (&BundleApprovals{Trust: a.reg.Trust}).Envelopes(a.ctx, tx, pv)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(envs, func(x, y []byte) int { return strings.Compare(string(x), string(y)) })
	return envs
}

// carryEnvelopes moves P-1@1 from a to b with the evidence envs.
func carryEnvelopes(t *testing.T, a, b *world, ba *BundleApprovals, envs [][]byte) error {
	t.Helper()
	var pv store.PolicyVersion
	var irb, src, sm []byte
	err := a.st.View(a.ctx, func(tx *store.Tx) error {
		var err error
		if pv, err = tx.PolicyVersion(a.ctx, "P-1", 1); err != nil {
			return err
		}
		irb, _ = tx.Blob(a.ctx, pv.IRDigest)
		src, _ = tx.Blob(a.ctx, pv.SourceDigest)
		sm, _ = tx.Blob(a.ctx, pv.SourceMapDigest)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.st.Update(b.ctx, func(tx *store.Tx) error {
		if _, err := tx.PutPolicyVersion(b.ctx, pv, irb, src, sm); err != nil {
			return err
		}
		for _, p := range []string{"alice", "bob", "carol", "dave"} { // trust roots the bundle carries
			pem, _ := a.keys[p].PublicPEM()
			if _, err := tx.Key(b.ctx, a.keys[p].ID); err == nil {
				continue
			}
			if _, err := tx.PutKey(b.ctx, store.Key{KeyID: a.keys[p].ID, Name: "root-" + p, Type: attest.Ed25519, PublicPEM: string(pem)}); err != nil {
				return err
			}
		}
		return ba.Accept(b.ctx, tx, pv, envs)
	})
}

// countUnverified is countApprovals over statements none of which is
// verified yet, as a bundle carries them.
func countUnverified(ctx context.Context, trust *Trust, quorum int, ref *PolicyRef, stmts []Signed) (*ApprovalReport, error) {
	cs := make([]checked, len(stmts))
	for i, s := range stmts {
		cs[i].s = s
	}
	return countApprovals(ctx, trust, quorum, ref, cs)
}

func TestApprovalsTravel(t *testing.T) {
	a := newWorld(t, 2)
	ref := a.draft("", cleanPolicy)
	a.run(ref, store.ModeSimulate, false, false)
	if _, err := a.reg.Submit(a.ctx, a.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	// An approval of an earlier round never travels.
	if _, err := a.reg.Approve(a.ctx, a.as["carol"], ref, approve("first look")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.reg.Review(a.ctx, a.as["bob"], ref, "add a note", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.reg.Submit(a.ctx, a.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"carol", "dave"} {
		if _, err := a.reg.Approve(a.ctx, a.as[p], ref, approve("ok")); err != nil {
			t.Fatal(err)
		}
	}
	if a.state(ref) != store.StateApproved {
		t.Fatalf("at the source: %s", a.state(ref))
	}
	ev, err := func() (*Evidence, error) {
		var ev *Evidence
		err := a.st.View(a.ctx, func(tx *store.Tx) error {
			var err error
			ev, err = ExportEvidence(a.ctx, tx, "P-1", 1)
			return err
		})
		return ev, err
	}()
	if err != nil || len(ev.Statements) != 4 { // drafted, the last submitted, two approvals
		t.Fatalf("evidence: %d statements, %v", len(ev.Statements), err)
	}

	// Site B trusts carol as an approver but not dave: one valid approval,
	// under its quorum of 2. The version arrives submitted, never active.
	b := site(t, a, 2, map[string][]string{"alice": {ScopePolicyAuthor}, "carol": {ScopePolicyApprove}})
	ba := &BundleApprovals{Trust: b.reg.Trust, Settings: b.reg.Settings, Actor: "import"}
	if err := carry(t, a, b, ba); err != nil {
		t.Fatal(err)
	}
	rep := ba.Reports[0]
	if rep.Approved || !slices.Equal(rep.Approvers, []string{"carol"}) || len(rep.Rejected) != 1 || rep.Rejected[0].Principal != "dave" ||
		!strings.Contains(rep.Rejected[0].Reason, "not in this site's trust config") {
		t.Fatalf("site B report: %+v", rep)
	}
	if b.state(ref) != store.StateSubmitted {
		t.Fatalf("site B state %s", b.state(ref))
	}
	b.run(ref, store.ModeRun, false, false)
	bob, _ := attest.Generate(attest.Ed25519)
	if _, err := b.reg.Trust.Add("bob", bob, []string{ScopePolicyActivate}); err != nil {
		t.Fatal(err)
	}
	actor, _ := b.reg.Actor(bob)
	_, err = b.reg.Activate(b.ctx, actor, ref, "")
	refused(t, err, GuardQuorum, "P-1@1 has 1 of 2 required approvals (carol)")
	if _, err := VerifyAudit(b.ctx, b.st, b.reg.Trust); err != nil {
		t.Fatalf("site B audit: %v", err)
	}

	// Site C trusts both and needs one: approved (and still not active).
	c := site(t, a, 1, map[string][]string{"carol": {ScopePolicyApprove}, "dave": {ScopePolicyApprove}})
	bc := &BundleApprovals{Trust: c.reg.Trust, Settings: c.reg.Settings}
	if err := carry(t, a, c, bc); err != nil {
		t.Fatal(err)
	}
	if !bc.Reports[0].Approved || c.state(ref) != store.StateApproved {
		t.Fatalf("site C: %+v %s", bc.Reports[0], c.state(ref))
	}
	// Site D trusts dave, but dave only as an author there: no approval counts.
	d := site(t, a, 1, map[string][]string{"dave": {ScopePolicyAuthor}})
	bd := &BundleApprovals{Trust: d.reg.Trust, Settings: d.reg.Settings}
	if err := carry(t, a, d, bd); err != nil {
		t.Fatal(err)
	}
	scoped := slices.ContainsFunc(bd.Reports[0].Rejected, func(r Rejected) bool {
		return r.Principal == "dave" && strings.Contains(r.Reason, "lacks scope policy:approve here")
	})
	if bd.Reports[0].Approved || len(bd.Reports[0].Rejected) != 2 || !scoped {
		t.Fatalf("site D: %+v", bd.Reports[0])
	}
}

func TestApprovalsTamperedInTransit(t *testing.T) {
	a := approvedWorld(t)
	var envs [][]byte
	var pv store.PolicyVersion
	a.st.View(a.ctx, func(tx *store.Tx) error {
		pv, _ = tx.PolicyVersion(a.ctx, "P-1", 1)
		envs, _ = (&BundleApprovals{}).Envelopes(a.ctx, tx, pv)
		return nil
	})
	ba := &BundleApprovals{Trust: a.reg.Trust, Settings: a.reg.Settings}
	for i := range envs {
		bad := append([][]byte{}, envs...)
		bad[i] = []byte(strings.Replace(string(envs[i]), `"sig":"`, `"sig":"AAAA`, 1))
		err := a.st.Update(a.ctx, func(tx *store.Tx) error { return ba.Accept(a.ctx, tx, pv, bad) })
		if fail.KindOf(err) != fail.Integrity {
			t.Fatalf("envelope %d tampered: %v", i, err)
		}
	}
	// Evidence for other content is refused.
	other := pv
	other.IRDigest = "sha256:" + strings.Repeat("0", 64)
	err := a.st.Update(a.ctx, func(tx *store.Tx) error { return ba.Accept(a.ctx, tx, other, envs) })
	if fail.KindOf(err) != fail.Integrity {
		t.Fatalf("evidence for other IR: %v", err)
	}
	// Accepting what is already stored changes nothing.
	if err := a.st.Update(a.ctx, func(tx *store.Tx) error { return ba.Accept(a.ctx, tx, pv, envs) }); err != nil {
		t.Fatal(err)
	}
	if a.state("P-1@1") != store.StateApproved {
		t.Fatal("re-accepting changed the state")
	}
}

// signAs signs p by principal who in format 1 (governance@1, before
// submission rounds) or 2.
func signAs(t *testing.T, w *world, who string, format int, p *Predicate) Signed {
	t.Helper()
	p.Actor = w.as[who].Ref()
	if format == 2 {
		s, err := sign(w.ctx, w.keys[who], p, p.Policy.IRDigest)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	payload, err := attest.NewStatement(PredicateTypeV1, []attest.Subject{attest.SubjectOf(p.subjectName(), p.Policy.IRDigest)}, p)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(w.ctx, attest.PayloadType, payload, w.keys[who])
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.MarshalEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := w.keys[who].PublicPEM()
	return Signed{Envelope: trimNL(b), PublicKey: string(pub)}
}

// TestSubmissionRounds counts approvals over statement sequences: S submits
// (alice), X sends back (bob) naming the open round, A:p approves (p) naming
// the open round, A:p@n names the n-th submission, and the suffix 1 (A1, X1)
// signs in governance@1, which names no round; O1 is a governance@1
// approval this site recorded itself (A1 ones were imported).
func TestSubmissionRounds(t *testing.T) {
	w := newWorld(t, 1)
	ref := &PolicyRef{ID: "P-1", Version: 1, Name: "gate", IRDigest: "sha256:" + strings.Repeat("3e", 32)}
	tests := []struct {
		name      string
		ops       string
		approvers []string
		rejected  []string // substrings of the reasons, in order
		open      int      // the open round: 1-based submission, 0 for none
	}{
		{"one round", "S A:carol", []string{"carol"}, nil, 1},
		{"sent back", "S A:carol X", nil, []string{"whose round is closed (bob sent it back); no round is open"}, 0},
		{"resubmitted", "S A:carol X S", nil, []string{"whose round is closed (bob sent it back); the open round is"}, 2},
		{"approved again", "S A:carol X S A:dave", []string{"dave"}, []string{"whose round is closed"}, 2},
		{"same approver again", "S A:carol X S A:carol", []string{"carol"}, []string{"whose round is closed"}, 2},
		{"earlier round replayed after the new one", "S A:carol X S A:dave A:carol@1", []string{"dave"}, []string{"whose round is closed", "whose round is closed"}, 2},
		{"superseded without send-back", "S S A:carol@1", nil, []string{"submitted again since"}, 2},
		{"unknown submission", "S A:carol@9", nil, []string{"not a recorded submission"}, 1},
		{"old format, one submission", "S A1:carol", []string{"carol"}, nil, 1},
		{"old format, sent back", "S A1:carol X1", nil, []string{"was not recorded in the open round"}, 0},
		{"old format, resubmitted", "S A1:carol X1 S", nil, []string{"was not recorded in the open round"}, 2},
		{"old format imported into the new round of a resubmitted version", "S X1 S A1:carol", nil, []string{"it was imported and the version was submitted 2 times"}, 2},
		{"old format signed here in the new round of a resubmitted version", "S X1 S O1:carol", []string{"carol"}, nil, 2},
		{"old round old format, new round new format", "S A1:carol X1 S A:dave", []string{"dave"}, []string{"was not recorded in the open round"}, 2},
		{"old send-back closes the round it was recorded in", "S A:carol X1 S A:dave", []string{"dave"}, []string{"whose round is closed"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ss []Signed
			var subs []string
			open := ""
			for i, op := range strings.Fields(tc.ops) {
				p := &Predicate{Tenant: "default", Seq: int64(i + 1), At: "2026-06-01T12:00:00Z", Policy: ref}
				code, who, _ := strings.Cut(op, ":")
				who, nth, named := strings.Cut(who, "@")
				format, own := 2, code == "O1"
				if own {
					code = "A1"
				}
				if strings.HasSuffix(code, "1") {
					format, code = 1, strings.TrimSuffix(code, "1")
				}
				switch code {
				case "S":
					p.Action, p.Reviewers = ActionSubmitted, []string{"bob"}
					s := signAs(t, w, "alice", format, p)
					ss = append(ss, s)
					subs = append(subs, canon.Digest(s.Envelope))
					open = subs[len(subs)-1]
					continue
				case "X":
					p.Action, p.Comment, who = ActionChangesRequested, "no", "bob"
				case "A":
					p.Action, p.Note, p.AckSimulation, p.AckDeterminism = ActionApproved, "ok", true, true
				}
				if format == 2 {
					p.Submission = open
					if named {
						n := int(nth[0] - '0')
						p.Submission = "sha256:" + strings.Repeat("0", 64)
						if n <= len(subs) {
							p.Submission = subs[n-1]
						}
					}
				}
				sg := signAs(t, w, who, format, p)
				sg.own = own
				ss = append(ss, sg)
				if code == "X" {
					open = ""
				}
			}
			rep, err := countUnverified(w.ctx, w.reg.Trust, 1, ref, ss)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Approvers, append([]string{}, tc.approvers...)) || rep.Approved != (len(tc.approvers) > 0) {
				t.Errorf("approvers %v (approved %v), want %v", rep.Approvers, rep.Approved, tc.approvers)
			}
			if len(rep.Rejected) != len(tc.rejected) {
				t.Fatalf("rejected %+v, want %q", rep.Rejected, tc.rejected)
			}
			for i, want := range tc.rejected {
				if !strings.Contains(rep.Rejected[i].Reason, want) {
					t.Errorf("rejected[%d] %q does not say %q", i, rep.Rejected[i].Reason, want)
				}
			}
			wantRound := ""
			if tc.open > 0 {
				wantRound = subs[tc.open-1]
			}
			if rep.Round != wantRound {
				t.Errorf("round %s, want submission %d (%s)", rep.Round, tc.open, wantRound)
			}
		})
	}
}

// TestSendBackBeforeItsSubmission: evidence whose order was lost may list
// a request for changes before the submission it names; the round stays
// closed.
func TestSendBackBeforeItsSubmission(t *testing.T) {
	w := newWorld(t, 1)
	ref := &PolicyRef{ID: "P-1", Version: 1, IRDigest: "sha256:" + strings.Repeat("3e", 32)}
	sub := signAs(t, w, "alice", 2, &Predicate{Action: ActionSubmitted, Tenant: "default", Seq: 1, Policy: ref, Reviewers: []string{"bob"}})
	d := canon.Digest(sub.Envelope)
	back := signAs(t, w, "bob", 2, &Predicate{Action: ActionChangesRequested, Tenant: "default", Seq: 3, Policy: ref, Comment: "no", Submission: d})
	ok := signAs(t, w, "carol", 2, &Predicate{Action: ActionApproved, Tenant: "default", Seq: 2, Policy: ref, Note: "ok", AckSimulation: true, AckDeterminism: true, Submission: d})
	rep, err := countUnverified(w.ctx, w.reg.Trust, 1, ref, []Signed{back, sub, ok})
	if err != nil || rep.Approved || rep.Round != "" || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, "bob sent it back") {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestSubmissionField: governance@2 approvals and requests for changes
// name a submission, nothing else does, and governance@1 has no such field.
func TestSubmissionField(t *testing.T) {
	w := newWorld(t, 1)
	ref := &PolicyRef{ID: "P-1", Version: 1, IRDigest: "sha256:" + strings.Repeat("3e", 32)}
	sub := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		action     string
		format     int
		submission string
		ok         bool
	}{
		{ActionApproved, 2, sub, true},
		{ActionApproved, 2, "", false},
		{ActionApproved, 2, "sha256:nope", false},
		{ActionChangesRequested, 2, sub, true},
		{ActionChangesRequested, 2, "", false},
		{ActionSubmitted, 2, sub, false},
		{ActionSubmitted, 2, "", true},
		{ActionApproved, 1, "", true},
		{ActionApproved, 1, sub, false},
	} {
		p := &Predicate{Action: tc.action, Tenant: "default", Policy: ref, Submission: tc.submission}
		v, err := signAs(t, w, "carol", tc.format, p).Verify(w.ctx)
		if tc.ok && (err != nil || v.Format != tc.format) {
			t.Errorf("%s @%d %q: %v", tc.action, tc.format, tc.submission, err)
		}
		if !tc.ok && fail.KindOf(err) != fail.Integrity {
			t.Errorf("%s @%d %q: want an integrity failure, got %v", tc.action, tc.format, tc.submission, err)
		}
	}
}

// statementCount counts the statements a world holds about P-1@1.
func statementCount(t *testing.T, w *world) int {
	t.Helper()
	var n int
	err := w.st.View(w.ctx, func(tx *store.Tx) error {
		rows, err := tx.Statements(w.ctx, store.StatementFilter{Subject: "P-1@1"})
		n = len(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestApprovalsOfAnEarlierRound: a bundle that carries, beside the round it
// exports, an approval of a round that was sent back, or a round older than
// the one the importing site holds, does not get those approvals counted or
// recorded (docs/bundle.md "Approvals and rounds").
func TestApprovalsOfAnEarlierRound(t *testing.T) {
	a := newWorld(t, 1)
	ref := a.draft("", cleanPolicy)
	a.run(ref, store.ModeSimulate, false, false)
	if _, err := a.reg.Submit(a.ctx, a.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	old, err := a.reg.Approve(a.ctx, a.as["carol"], ref, approve("first look"))
	if err != nil {
		t.Fatal(err)
	}
	round1 := evidenceEnvelopes(t, a) // drafted, submitted, carol's approval
	if len(round1) != 3 {
		t.Fatalf("round 1 evidence: %d statements", len(round1))
	}
	if _, err := a.reg.Review(a.ctx, a.as["bob"], ref, "add a note", true); err != nil {
		t.Fatal(err)
	}
	sentBack := evidenceEnvelopes(t, a) // drafted, the submission, the request for changes
	if len(sentBack) != 3 {
		t.Fatalf("sent-back evidence: %d statements", len(sentBack))
	}
	a.clock.advance(time.Hour)
	if _, err := a.reg.Submit(a.ctx, a.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	round2 := evidenceEnvelopes(t, a) // drafted, the new submission: carol's approval is of round 1
	if len(round2) != 2 {
		t.Fatalf("round 2 evidence: %d statements", len(round2))
	}
	var oldEnv []byte
	for _, e := range round1 {
		if canon.Digest(e) == old.Statement {
			oldEnv = e
		}
	}
	trusted := map[string][]string{"alice": {ScopePolicyAuthor}, "carol": {ScopePolicyApprove}}

	// A bundle of round 2 that also carries carol's round-1 approval.
	b := site(t, a, 1, trusted)
	ba := &BundleApprovals{Trust: b.reg.Trust, Settings: b.reg.Settings}
	if err := carryEnvelopes(t, a, b, ba, append(slices.Clone(round2), oldEnv)); err != nil {
		t.Fatal(err)
	}
	rep := ba.Reports[0]
	if rep.Approved || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, "not a recorded submission") {
		t.Fatalf("round 2 with a round-1 approval: %+v", rep)
	}
	if b.state(ref) != store.StateSubmitted || statementCount(t, b) != 2 {
		t.Fatalf("site B: %s with %d statements (the round-1 approval must not be recorded)", b.state(ref), statementCount(t, b))
	}

	// Round 2 arrives first, then the older bundle of round 1.
	c := site(t, a, 1, trusted)
	bc := &BundleApprovals{Trust: c.reg.Trust, Settings: c.reg.Settings}
	if err := carryEnvelopes(t, a, c, bc, round2); err != nil {
		t.Fatal(err)
	}
	if err := carryEnvelopes(t, a, c, bc, round1); err != nil {
		t.Fatal(err)
	}
	rep = bc.Reports[1]
	if rep.Approved || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, "is older than submission") {
		t.Fatalf("the older round after the newer: %+v", rep)
	}
	if c.state(ref) != store.StateSubmitted || statementCount(t, c) != 2 {
		t.Fatalf("site C: %s with %d statements", c.state(ref), statementCount(t, c))
	}
	if _, err := VerifyAudit(c.ctx, c.st, c.reg.Trust); err != nil {
		t.Fatal(err)
	}

	// In the recorded order (round 1, then round 2) the approval stops
	// counting when round 2 arrives.
	d := site(t, a, 1, trusted)
	bd := &BundleApprovals{Trust: d.reg.Trust, Settings: d.reg.Settings}
	if err := carryEnvelopes(t, a, d, bd, round1); err != nil {
		t.Fatal(err)
	}
	if !bd.Reports[0].Approved || d.state(ref) != store.StateApproved {
		t.Fatalf("site D, round 1: %+v %s", bd.Reports[0], d.state(ref))
	}
	if err := carryEnvelopes(t, a, d, bd, round2); err != nil {
		t.Fatal(err)
	}
	if rep := bd.Reports[1]; rep.Approved || d.state(ref) != store.StateSubmitted || !strings.Contains(rep.Rejected[0].Reason, "whose round is closed (submitted again since)") {
		t.Fatalf("site D, round 2: %+v %s", rep, d.state(ref))
	}

	// The send-back travels: a site that imported round 1 approved closes it.
	f := site(t, a, 1, trusted)
	bf := &BundleApprovals{Trust: f.reg.Trust, Settings: f.reg.Settings}
	if err := carryEnvelopes(t, a, f, bf, round1); err != nil {
		t.Fatal(err)
	}
	if err := carryEnvelopes(t, a, f, bf, sentBack); err != nil {
		t.Fatal(err)
	}
	if rep := bf.Reports[1]; rep.Approved || rep.Round != "" || f.state(ref) != store.StateDraft || statementCount(t, f) != 4 ||
		!strings.Contains(rep.Rejected[0].Reason, "whose round is closed (bob sent it back)") {
		t.Fatalf("site F after the send-back: %+v %s, %d statements", rep, f.state(ref), statementCount(t, f))
	}
	if _, err := VerifyAudit(f.ctx, f.st, f.reg.Trust); err != nil {
		t.Fatal(err)
	}
	// Imported alone, the sent-back round arrives as a draft.
	g := site(t, a, 1, trusted)
	bg := &BundleApprovals{Trust: g.reg.Trust, Settings: g.reg.Settings}
	if err := carryEnvelopes(t, a, g, bg, sentBack); err != nil {
		t.Fatal(err)
	}
	if g.state(ref) != store.StateDraft || statementCount(t, g) != 3 {
		t.Fatalf("site G: %s with %d statements", g.state(ref), statementCount(t, g))
	}

	// Two submissions in one bundle are refused.
	e := site(t, a, 1, trusted)
	var sub1 []byte
	for _, env := range round1 {
		if !slices.ContainsFunc(round2, func(x []byte) bool { return string(x) == string(env) }) && canon.Digest(env) != old.Statement {
			sub1 = env
		}
	}
	err = carryEnvelopes(t, a, e, &BundleApprovals{Trust: e.reg.Trust, Settings: e.reg.Settings}, append(slices.Clone(round2), sub1))
	if fail.KindOf(err) != fail.Integrity || !strings.Contains(err.Error(), "two submissions") {
		t.Fatalf("two submissions: %v", err)
	}
}

// TestImportedV1ApprovalPredatesRound (from govqa): an imported governance@1 approval
// signed before the only submission held here cannot have approved it.
func TestImportedV1ApprovalPredatesRound(t *testing.T) {
	w := newWorld(t, 1)
	ref := &PolicyRef{ID: "P-1", Version: 1, IRDigest: "sha256:" + strings.Repeat("3e", 32)}
	old := signAs(t, w, "carol", 1, &Predicate{Action: ActionApproved, Tenant: "default", Seq: 3, At: "2026-06-01T12:00:00Z", Policy: ref,
		Note: "ok", AckSimulation: true, AckDeterminism: true})
	sub := signAs(t, w, "alice", 2, &Predicate{Action: ActionSubmitted, Tenant: "default", Seq: 9, At: "2026-06-02T12:00:00Z", Policy: ref, Reviewers: []string{"bob"}})
	rep, err := countUnverified(w.ctx, w.reg.Trust, 1, ref, []Signed{sub, old})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Approved || len(rep.Rejected) != 1 {
		t.Fatalf("a governance@1 approval signed a day before the only submission counted: %+v", rep)
	}
}

// TestImportedSendBackOfAnUnknownRound: a carried request for changes that
// names a submission neither recorded here nor carried beside it is not
// recorded (it proves nothing about a round this site knows), and the
// version stays as it was.
func TestImportedSendBackOfAnUnknownRound(t *testing.T) {
	a := newWorld(t, 1)
	ref := a.draft("", cleanPolicy)
	a.run(ref, store.ModeSimulate, false, false)
	if _, err := a.reg.Submit(a.ctx, a.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	back, err := a.reg.Review(a.ctx, a.as["bob"], ref, "add a note", true)
	if err != nil {
		t.Fatal(err)
	}
	sentBack := evidenceEnvelopes(t, a) // drafted, the submission, the request for changes
	if len(sentBack) != 3 {
		t.Fatalf("sent-back evidence: %d statements", len(sentBack))
	}
	trusted := map[string][]string{"alice": {ScopePolicyAuthor}, "bob": {ScopePolicyReview}}
	var noSub [][]byte // the submission left out
	for _, env := range sentBack {
		v, err := Signed{Envelope: env, PublicKey: signerPEM(t, a, env)}.Verify(a.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.Predicate.Action != ActionSubmitted {
			noSub = append(noSub, env)
		}
	}
	if len(noSub) != 2 || !slices.ContainsFunc(noSub, func(e []byte) bool { return canon.Digest(e) == back.Statement }) {
		t.Fatalf("evidence without the submission: %d statements", len(noSub))
	}
	b := site(t, a, 1, trusted)
	bb := &BundleApprovals{Trust: b.reg.Trust, Settings: b.reg.Settings}
	if err := carryEnvelopes(t, a, b, bb, noSub); err != nil {
		t.Fatal(err)
	}
	if rep := bb.Reports[0]; rep.Approved || rep.Round != "" || b.state(ref) != store.StateDraft || statementCount(t, b) != 1 {
		t.Fatalf("site B: %+v %s with %d statements (only the draft may be recorded)", rep, b.state(ref), statementCount(t, b))
	}
	if _, err := VerifyAudit(b.ctx, b.st, b.reg.Trust); err != nil {
		t.Fatal(err)
	}
}

// signerPEM returns the public key PEM of the principal of a that signed env.
func signerPEM(t *testing.T, a *world, env []byte) string {
	t.Helper()
	for _, k := range a.keys {
		if slices.Contains(envelopeKeyIDs(env), k.ID) {
			return pemOf(t, k)
		}
	}
	t.Fatal("no key of the world signed the envelope")
	return ""
}
