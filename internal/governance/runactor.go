package governance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// RunActor is who records a run (docs/governance.md "Scopes"): the key that
// signs it (nil: the run is recorded unsigned), the principal the audit log
// names ("cli" without a trust config) and the trust config in force (nil
// for none).
type RunActor struct {
	Key       *attest.Key
	Principal string
	Trust     *Trust
}

// AuthorizeRun decides who records a run signed with key. Without a trust
// config (single-user local use) anyone may; when trust is in force the
// key acts and must be trusted and hold scope (policy:run for `policy run`,
// policy:simulate for `policy simulate --record`), else the refusal is
// exit 3.
func AuthorizeRun(trust *Trust, key *attest.Key, scope string) (*RunActor, error) {
	act := &RunActor{Key: key, Principal: "cli", Trust: trust}
	if trust == nil {
		return act, nil
	}
	reg := &Registry{Trust: trust, Settings: trust.Settings}
	who, err := reg.Authorize(key, scope, "give --sign-key K (a private key file, or the name of a generated key) whose key holds "+scope)
	if err != nil {
		return nil, err
	}
	act.Principal = who.Entry.Principal
	return act, nil
}

// AuthorizeRun decides who records a run (docs/governance.md "Scopes"):
// AuthorizeRun under the trust config in force for a command that records
// one (RunTrust; flag is --trust), with the key q names
// (ResolveSigningKey).
func (s *Site) AuthorizeRun(ctx context.Context, flag string, q SigningKeyQuery, scope string) (*RunActor, error) {
	trust, err := s.RunTrust(ctx, flag)
	if err != nil {
		return nil, err
	}
	key, err := ResolveSigningKey(q)
	if err != nil {
		return nil, err
	}
	return AuthorizeRun(trust, key, scope)
}

// Acting opens the registry of a state-changing governance command
// (Registry, the database created when missing; flag is --trust) and
// resolves the key q names (ResolveSigningKey) to the acting principal,
// whoever the trust config says holds it; no key is refused. The caller
// closes the registry's store.
func (s *Site) Acting(ctx context.Context, flag string, q SigningKeyQuery) (*Registry, *Actor, error) {
	reg, err := s.Registry(ctx, flag, false)
	if err != nil {
		return nil, nil, err
	}
	k, err := ResolveSigningKey(q)
	if err == nil && k == nil {
		err = fail.New(fail.Invalid, "no key to act with: give --sign-key (a private key file, or the name of a key in %s) or --sign-key-env VAR; the acting principal is whoever the trust config says holds it", q.Dir)
	}
	var act *Actor
	if err == nil {
		act, err = reg.Actor(k)
	}
	if err != nil {
		reg.Store.Close()
		return nil, nil, err
	}
	return reg, act, nil
}

// With returns the trust config's keys that hold scope (nil for none, or
// for a nil config): the bundle trust roots a trust config gives are its
// bundle:sign keys (docs/bundle.md), not every key it lists.
func (t *Trust) With(scope string) *Trust {
	if t == nil {
		return nil
	}
	w := *t
	w.Entries = nil
	for _, e := range t.Entries {
		if e.Has(scope) {
			w.Entries = append(w.Entries, e)
		}
	}
	return &w
}

// VerifyKeys are the keys a verification trusts (docs/governance.md): refs
// (--key, --trust-root: files, or registered key names or ids, as
// TrustedKeys resolves them; open opens the database when one is first
// needed) and the keys of the trust config in force (nil for none). Keys
// merely registered in the database are not among them.
func VerifyKeys(ctx context.Context, refs []string, trust *Trust, open func() (*store.Store, error)) ([]*attest.Key, error) {
	var keys []*attest.Key
	if len(refs) > 0 {
		var err error
		if keys, err = TrustedKeys(ctx, refs, open); err != nil {
			return nil, err
		}
	}
	if trust != nil {
		for _, e := range trust.Entries {
			keys = append(keys, e.Key)
		}
	}
	return keys, nil
}

// RequireTrust refuses (guard trust, exit 3) a run or recorded simulation
// that found no trust config on database db (its store st) when the
// database's audit chain records one: the site is governed wherever the
// command starts, and without its trust config the run would evaluate any
// version enforced, with no approval gate and no key scope
// (docs/governance.md "Runs at a governed site"). Nil when the chain
// records no trust config (an ungoverned site).
func RequireTrust(ctx context.Context, st *store.Store, db string) error {
	return st.View(ctx, func(tx *store.Tx) error {
		h, err := ReadTrustHistory(ctx, tx)
		if err != nil {
			return err
		}
		last := h.Latest()
		if last == nil {
			return nil
		}
		from := ""
		if last.File != "" {
			from = ", recorded from " + last.File
		}
		return refuse(GuardTrust, "database %s is governed: its audit chain records %s%s, but no trust config was found here (looked for --trust, config trust_file / STELLA_TRUST_FILE, ./trust.yaml, the trust section of stella.yaml, $XDG_CONFIG_HOME/stella/trust.yaml), and a run without it would not be gated; name the site's trust config with --trust FILE, trust_file in stella.yaml or STELLA_TRUST_FILE, or run where it is found",
			db, last, from)
	})
}

// CheckRunSigners refuses (fail.Integrity) a verified policy.run@1 manifest
// or evidence archive of mode (store.ModeRun or ModeSimulate) none of whose
// signers is trusted for it (docs/attestation.md "Who is trusted"): a key the
// user names (refs, resolved as TrustedKeys does only when needed) is; a key
// that only the trust config holds must hold the scope that records such a
// run (policy:run, policy:simulate) — a policy author's key signing a run
// of its own draft on another machine is not an attested run of this site.
func CheckRunSigners(ctx context.Context, trust *Trust, refs []string, signers []string, mode string, open func() (*store.Store, error)) error {
	if trust == nil || len(signers) == 0 {
		return nil // no trust config, or an unsigned run (the archive's own signature was checked)
	}
	scope := ScopePolicyRun
	if mode == store.ModeSimulate {
		scope = ScopePolicySimulate
	}
	var held []string
	for _, id := range signers {
		if e, ok := trust.Lookup(id); ok {
			if e.Has(scope) {
				return nil
			}
			held = append(held, fmt.Sprintf("%s (key %s) holds %s", e.Principal, text.Abbrev(id), strings.Join(e.Scopes, ", ")))
		}
	}
	if len(refs) > 0 {
		keys, err := TrustedKeys(ctx, refs, open)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if slices.Contains(signers, k.ID) {
				return nil
			}
		}
	}
	return fail.New(fail.Integrity, "signed by %s, not by a key that %s trusts with %s (a %s manifest is trusted through the trust config only when its signer may record it); pass --key PUB to trust the signer yourself",
		strings.Join(held, "; "), trustName(trust), scope, mode)
}
