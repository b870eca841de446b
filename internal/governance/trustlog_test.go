package governance

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// trustSite is a store and a trust file changed only through stella.
type trustSite struct {
	t    *testing.T
	ctx  context.Context
	st   *store.Store
	path string
	keys map[string]*attest.Key
}

func newTrustSite(t *testing.T, names ...string) *trustSite {
	t.Helper()
	s := &trustSite{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "trust.yaml"), keys: map[string]*attest.Key{}}
	st, err := store.Open(s.ctx, filepath.Join(t.TempDir(), "t.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s.st = st
	for _, n := range names {
		if s.keys[n], err = attest.Generate(attest.Ed25519); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// load reads the trust file (a new one when it does not exist yet).
func (s *trustSite) load() *Trust {
	s.t.Helper()
	tr, err := LoadTrust(s.path)
	if fail.Is(err, fail.NotFound) {
		return NewTrust(s.path)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return tr
}

// add runs trust add: who trusts name with scopes, signed by signer ("" = unsigned).
func (s *trustSite) add(signer, name string, scopes ...string) (*TrustEdit, error) {
	return (&TrustChange{Store: s.st, Trust: s.load(), Signer: s.keys[signer]}).Add(s.ctx, name, s.keys[name], scopes)
}

func (s *trustSite) mustAdd(signer, name string, scopes ...string) *TrustEdit {
	s.t.Helper()
	e, err := s.add(signer, name, scopes...)
	if err != nil {
		s.t.Fatalf("trust add %s by %q: %v", name, signer, err)
	}
	return e
}

// handEdit adds name to the file without stella recording it.
func (s *trustSite) handEdit(name string, scopes ...string) *Trust {
	s.t.Helper()
	tr := s.load()
	if _, err := tr.Add(name, s.keys[name], scopes); err != nil {
		s.t.Fatal(err)
	}
	if err := tr.Save(); err != nil {
		s.t.Fatal(err)
	}
	return s.load()
}

func wantGuard(t *testing.T, err error, guard, text string) {
	t.Helper()
	if !fail.Is(err, fail.Governance) || !strings.Contains(err.Error(), "guard "+guard) || !strings.Contains(err.Error(), text) {
		t.Fatalf("want refusal by guard %s (%q), got %v", guard, text, err)
	}
}

func wantIntegrity(t *testing.T, err error, text string) {
	t.Helper()
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), text) {
		t.Fatalf("want integrity failure %q, got %v", text, err)
	}
}

func TestSignedTrustRules(t *testing.T) {
	s := newTrustSite(t, "admin", "admin2", "alice", "mallory")
	// The root of trust signs the version that names it; an unsigned admin,
	// or an admin signed by someone else, is refused.
	_, err := s.add("", "admin", ScopeTrustAdmin)
	wantGuard(t, err, GuardScope, "a trust admin is added with its own signature")
	_, err = s.add("alice", "admin", ScopeTrustAdmin)
	wantGuard(t, err, GuardScope, "the first signed change is signed by the admin it adds")
	if e := s.mustAdd("admin", "admin", ScopeTrustAdmin); !e.Root || e.State.Version != 1 || e.Signer == nil || e.Signer.Principal != "admin" {
		t.Fatalf("root: %+v", e)
	}
	// From then on: signed by an admin of the version before.
	_, err = s.add("", "alice", ScopePolicyAuthor)
	wantGuard(t, err, GuardScope, "every change is signed by one of them")
	_, err = s.add("mallory", "mallory", ScopeTrustAdmin)
	wantGuard(t, err, GuardScope, "is not a trust admin of the recorded trust config (version 1)")
	s.mustAdd("admin", "alice", ScopePolicyAuthor)
	s.mustAdd("admin", "admin2", ScopeTrustAdmin)
	// Rotation: the new admin removes the old one.
	e, err := (&TrustChange{Store: s.st, Trust: s.load(), Signer: s.keys["admin2"]}).Remove(s.ctx, "admin")
	if err != nil || e.State.Version != 4 || e.Signer.Principal != "admin2" {
		t.Fatalf("rotate: %+v %v", e, err)
	}
	if w, err := CheckTrustFile(s.ctx, s.st, s.load(), false); err != nil || w != "" {
		t.Fatalf("unchanged file: %q %v", w, err)
	}
	if _, err := VerifyAudit(s.ctx, s.st, s.load()); err != nil {
		t.Fatal(err)
	}

	// A hand edit (issue 20 row 9) is refused; with allowUnsigned it is used,
	// recorded, and audit verify refuses the chain at that event.
	edited := s.handEdit("mallory", ScopePolicyApprove, ScopePolicyActivate)
	_, err = CheckTrustFile(s.ctx, s.st, edited, false)
	wantIntegrity(t, err, "is not the trust config version 4")
	w, err := CheckTrustFile(s.ctx, s.st, edited, true)
	if err != nil || !strings.Contains(w, "--allow-unsigned-trust") {
		t.Fatalf("allowed: %q %v", w, err)
	}
	_, err = VerifyAudit(s.ctx, s.st, edited)
	wantIntegrity(t, err, "trust.unsigned: a trust config that is not the recorded version 4")
	rep, err := VerifyAuditWith(s.ctx, s.st, edited, AuditOptions{AllowUnsignedTrust: true})
	if err != nil || len(rep.TrustWarnings) != 1 {
		t.Fatalf("allowed verify: %+v %v", rep, err)
	}
	// A trust admin accepts the edit by signing it; mallory cannot.
	_, err = (&TrustChange{Store: s.st, Trust: s.load(), Signer: s.keys["mallory"]}).Sign(s.ctx)
	wantGuard(t, err, GuardScope, "not a trust admin")
	if e, err := (&TrustChange{Store: s.st, Trust: s.load(), Signer: s.keys["admin2"]}).Sign(s.ctx); err != nil || e.State.Version != 5 {
		t.Fatalf("sign: %+v %v", e, err)
	}
	if _, err := CheckTrustFile(s.ctx, s.st, s.load(), false); err != nil {
		t.Fatal(err)
	}
}

// A site set up before signed trust (unsigned versions) adopts it later:
// its first admin signs the version that names it, and audit verify holds —
// the root's key is in no version before, so the trust history judges the
// change, not the check of statements against the version in force. A
// re-root with --allow-unsigned-trust is listed only with the flag.
func TestRootAfterUnsignedVersions(t *testing.T) {
	s := newTrustSite(t, "alice", "admin", "mallory")
	s.mustAdd("", "alice", ScopePolicyAuthor)
	if e := s.mustAdd("admin", "admin", ScopeTrustAdmin); !e.Root || e.State.Version != 2 {
		t.Fatalf("root after unsigned: %+v", e)
	}
	if _, err := VerifyAudit(s.ctx, s.st, s.load()); err != nil {
		t.Fatalf("audit verify after a later root: %v", err)
	}
	e, err := (&TrustChange{Store: s.st, Trust: s.load(), Signer: s.keys["mallory"], AllowUnsigned: true}).Add(s.ctx, "mallory", s.keys["mallory"], []string{ScopeTrustAdmin})
	if err != nil || !e.Root {
		t.Fatalf("re-root: %+v %v", e, err)
	}
	_, err = VerifyAudit(s.ctx, s.st, s.load())
	wantIntegrity(t, err, "re-rooted with --allow-unsigned-trust")
	rep, err := VerifyAuditWith(s.ctx, s.st, s.load(), AuditOptions{AllowUnsignedTrust: true})
	if err != nil || len(rep.TrustWarnings) != 1 {
		t.Fatalf("allowed verify of a re-root: %+v %v", rep, err)
	}
}

// An attacker who writes the database and the file appends a version of
// their own: unsigned after a signed one, or signed by a key that is not an
// admin. Every command and audit verify refuse it.
func TestForgedTrustVersion(t *testing.T) {
	for _, signer := range []string{"", "mallory"} {
		t.Run("signer="+signer, func(t *testing.T) {
			s := newTrustSite(t, "admin", "mallory")
			s.mustAdd("admin", "admin", ScopeTrustAdmin)
			edited := s.handEdit("mallory", ScopePolicyApprove, ScopeTrustAdmin)
			state, err := edited.State()
			if err != nil {
				t.Fatal(err)
			}
			state.Version = 2
			err = s.st.Update(s.ctx, func(tx *store.Tx) error {
				h, err := ReadTrustHistory(s.ctx, tx)
				if err != nil {
					return err
				}
				state.Previous = h.Latest().State.Digest
				edit := &TrustEdit{Action: ActionTrustAdded, State: state}
				if signer == "" {
					return appendUnsigned(s.ctx, tx, edited, edit, false)
				}
				k := s.keys[signer]
				act := &Actor{Entry: &Entry{Principal: signer, KeyID: k.ID}, Key: k}
				reg := &Registry{Store: s.st}
				p := reg.predicate(act, ActionTrustAdded)
				p.Trust = &state
				_, _, err = reg.record(s.ctx, tx, act, p, state.Digest, map[string]any{})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = CheckTrustFile(s.ctx, s.st, s.load(), false)
			wantIntegrity(t, err, "breaks the rules of signed trust")
			_, err = VerifyAudit(s.ctx, s.st, s.load())
			wantIntegrity(t, err, "audit chain broken at event 2: trust.added trust@2")
		})
	}
}

// A statement signed by a key the recorded trust config does not hold,
// appended with its audit event behind stella's back, fails audit verify.
func TestStatementOutsideRecordedTrust(t *testing.T) {
	s := newTrustSite(t, "alice", "mallory")
	s.mustAdd("", "alice", ScopePolicyAuthor) // a site without a trust admin: recorded unsigned
	k := s.keys["mallory"]
	err := s.st.Update(s.ctx, func(tx *store.Tx) error {
		act := &Actor{Entry: &Entry{Principal: "mallory", KeyID: k.ID}, Key: k}
		reg := &Registry{Store: s.st}
		p := reg.predicate(act, ActionActivated)
		p.Policy = &PolicyRef{ID: "P-1", Version: 1, IRDigest: "sha256:" + strings.Repeat("ab", 32)}
		_, _, err := reg.record(s.ctx, tx, act, p, p.Policy.IRDigest, map[string]any{"irDigest": p.Policy.IRDigest})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyAudit(s.ctx, s.st, s.load())
	wantIntegrity(t, err, "policy.activated P-1@1: signed by mallory")
}

// TestClassifyTrust: the one table of signed-trust rules that writing a
// change and verifying the history both use (docs/governance.md "Signed trust").
func TestClassifyTrust(t *testing.T) {
	none, a, ab := []string(nil), []string{"a"}, []string{"a", "b"}
	cases := []struct {
		name              string
		admins, newAdmins []string
		signer            string
		want              trustChange
	}{
		{"unsigned, no admins", none, none, "", trustAllowed},
		{"unsigned over admins", a, a, "", trustUnsignedAdmins},
		{"unsigned, adds an admin", none, a, "", trustUnsignedRoot},
		{"signed by an admin before", a, ab, "a", trustAllowed},
		{"an admin removing itself", a, none, "a", trustAllowed},
		{"the first admin signs itself in", none, a, "a", trustRoot},
		{"an added admin signs itself in", a, ab, "b", trustReroot},
		{"a key that is no admin, admins before", a, a, "c", trustNotAdmin},
		{"a key that is no admin, none before", none, none, "c", trustNoAdmin},
		{"adds another admin, none before", none, a, "c", trustNoAdmin},
	}
	for _, tc := range cases {
		if got := classifyTrust(tc.admins, tc.newAdmins, tc.signer); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
