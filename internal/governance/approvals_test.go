package governance

import (
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
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
	var pv store.PolicyVersion
	var irb, src, sm []byte
	var envs [][]byte
	err := a.st.View(a.ctx, func(tx *store.Tx) error {
		var err error
		if pv, err = tx.PolicyVersion(a.ctx, "P-1", 1); err != nil {
			return err
		}
		irb, _ = tx.Blob(a.ctx, pv.IRDigest)
		src, _ = tx.Blob(a.ctx, pv.SourceDigest)
		sm, _ = tx.Blob(a.ctx, pv.SourceMapDigest)
		envs, err = (&BundleApprovals{Trust: a.reg.Trust}).Envelopes(a.ctx, tx, pv)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(envs, func(x, y []byte) int { return strings.Compare(string(x), string(y)) }) // bundles lose the order
	return b.st.Update(b.ctx, func(tx *store.Tx) error {
		if _, err := tx.PutPolicyVersion(b.ctx, pv, irb, src, sm); err != nil {
			return err
		}
		for _, p := range []string{"alice", "carol", "dave"} { // trust roots the bundle carries
			pem, _ := a.keys[p].PublicPEM()
			if _, err := tx.PutKey(b.ctx, store.Key{KeyID: a.keys[p].ID, Name: "root-" + p, Type: attest.Ed25519, PublicPEM: string(pem)}); err != nil {
				return err
			}
		}
		return ba.Accept(b.ctx, tx, pv, envs)
	})
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
