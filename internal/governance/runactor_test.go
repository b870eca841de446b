package governance

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestAuthorizeRun: who records a run, with and without a trust config,
// and the keys a verification trusts.
func TestAuthorizeRun(t *testing.T) {
	w := newWorld(t, 1)
	trust := w.reg.Trust
	for _, tc := range []struct {
		name      string
		trust     *Trust
		key       *attest.Key
		scope     string
		principal string
		kind      fail.Kind // 0: authorized
	}{
		{"no trust config, unsigned", nil, nil, ScopePolicyRun, "cli", 0},
		{"no trust config, any key", nil, w.keys["bob"], ScopePolicyRun, "cli", 0},
		{"holds the scope", trust, w.keys["alice"], ScopePolicySimulate, "alice", 0},
		{"lacks the scope", trust, w.keys["bob"], ScopePolicySimulate, "", fail.KindOf(refuse(GuardScope, "x"))},
		{"no key under a trust config", trust, nil, ScopePolicyRun, "", fail.KindOf(refuse(GuardScope, "x"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			act, err := AuthorizeRun(tc.trust, tc.key, tc.scope)
			if tc.kind != 0 {
				if fail.KindOf(err) != tc.kind {
					t.Fatalf("err %v, want kind %d", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if act.Principal != tc.principal || act.Key != tc.key || act.Trust != tc.trust {
				t.Fatalf("actor %+v", act)
			}
		})
	}
	none := func() (*store.Store, error) { t.Fatal("no ref needs the database"); return nil, nil }
	if keys, err := VerifyKeys(context.Background(), nil, nil, none); err != nil || len(keys) != 0 {
		t.Fatalf("no refs, no trust: %v %v", keys, err)
	}
	keys, err := VerifyKeys(context.Background(), nil, trust, none)
	if err != nil || len(keys) != len(trust.Entries) {
		t.Fatalf("the trust config's keys: %d of %d (%v)", len(keys), len(trust.Entries), err)
	}
}

func TestCheckRunSigners(t *testing.T) {
	ctx := context.Background()
	runner, _ := attest.Generate(attest.Ed25519)
	author, _ := attest.Generate(attest.Ed25519)
	trust := &Trust{Entries: []Entry{
		{Principal: "ci", KeyID: runner.ID, Scopes: []string{ScopePolicyRun}, Key: runner},
		{Principal: "alice", KeyID: author.ID, Scopes: []string{ScopePolicyAuthor, ScopePolicySimulate}, Key: author},
	}}
	none := func() (*store.Store, error) { return nil, nil }
	for _, c := range []struct {
		name    string
		trust   *Trust
		signers []string
		mode    string
		want    string // "" = accepted
	}{
		{"runner signs a run", trust, []string{runner.ID}, store.ModeRun, ""},
		{"author signs a run", trust, []string{author.ID}, store.ModeRun, "signed by alice"},
		{"author signs a simulation", trust, []string{author.ID}, store.ModeSimulate, ""},
		{"runner signs a simulation", trust, []string{runner.ID}, store.ModeSimulate, "not by a key that the trust config trusts with policy:simulate"},
		{"one good signer of two", trust, []string{author.ID, runner.ID}, store.ModeRun, ""},
		{"no trust config", nil, []string{author.ID}, store.ModeRun, ""},
		{"unsigned run", trust, nil, store.ModeRun, ""},
	} {
		err := CheckRunSigners(ctx, c.trust, nil, c.signers, c.mode, none)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !fail.Is(err, fail.Integrity)) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
