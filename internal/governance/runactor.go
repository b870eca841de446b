package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/store"
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
// that found no trust config on a database that records one
// (docs/governance.md "Runs at a governed site"): started in another
// directory, or with trust_file pointing nowhere, it would otherwise run
// any version enforced and record simulations under no key.
func RequireTrust(ctx context.Context, st *store.Store) error {
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
			from = " (recorded from " + last.File + ")"
		}
		return refuse(GuardTrust, "this database is governed: it records %s%s, but no trust config was found (--trust, config trust_file / STELLA_TRUST_FILE, ./trust.yaml, the trust section of stella.yaml, $XDG_CONFIG_HOME/stella/trust.yaml); run it where the site's trust config is found, or name it with --trust", last, from)
	})
}
