package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// The trust commands (trust add, rm, sign) as one sequence: read the trust
// config, resolve the key that signs the change, open the database, make
// the change (TrustChange) and say its warning loudly (docs/governance.md
// "Signed trust").

// TrustEditRequest is a change of the trust config as a command asks for
// it: the trust config file (--trust; "" as Site.TrustFile finds it) and
// the key that signs the change, given with --sign-key or --sign-key-env
// only — a trust change is never signed by a configured default key; nil:
// unsigned.
type TrustEditRequest struct {
	File   string
	Signer *SigningKeyQuery
}

// TrustAdd is what `trust add` trusts: Key (a public or private key file,
// or the name or id of a key registered in the database) as Principal with
// Scopes (each item may list several, comma-separated).
type TrustAdd struct {
	Key       string
	Principal string
	Scopes    []string
}

// AddTrust trusts a key (TrustChange.Add); a missing trust config file
// starts empty.
func (s *Site) AddTrust(ctx context.Context, r TrustEditRequest, add TrustAdd) (*TrustEdit, error) {
	scopes, err := ParseScopes(add.Scopes)
	if err != nil {
		return nil, fail.Wrap(fail.Invalid, err)
	}
	keys, err := TrustedKeys(ctx, []string{add.Key}, func() (*store.Store, error) { return s.Open(ctx, true) })
	if err != nil {
		return nil, err
	}
	return s.editTrust(ctx, r, trustCreate, func(c *TrustChange) (*TrustEdit, error) {
		return c.Add(ctx, add.Principal, keys[0], scopes)
	})
}

// RemoveTrust stops trusting a key id, or every key of a principal
// (TrustChange.Remove); the trust config file must exist.
func (s *Site) RemoveTrust(ctx context.Context, r TrustEditRequest, ref string) (*TrustEdit, error) {
	return s.editTrust(ctx, r, trustExisting, func(c *TrustChange) (*TrustEdit, error) { return c.Remove(ctx, ref) })
}

// SignTrust records the trust config file as it is (TrustChange.Sign): it
// must exist, and is not compared with the recorded version first —
// recording it is the point.
func (s *Site) SignTrust(ctx context.Context, r TrustEditRequest) (*TrustEdit, error) {
	return s.editTrust(ctx, r, trustAsIs, func(c *TrustChange) (*TrustEdit, error) { return c.Sign(ctx) })
}

// trustLoad says how a trust edit reads the trust config.
type trustLoad int

const (
	trustCreate   trustLoad = iota // a missing file starts empty (trust add)
	trustExisting                  // the file must exist (trust rm)
	trustAsIs                      // must exist, not compared with the record (trust sign)
)

// editTrust loads the trust config, resolves the signing key, opens the
// store and runs fn, then says the change's warning loudly.
func (s *Site) editTrust(ctx context.Context, r TrustEditRequest, load trustLoad, fn func(*TrustChange) (*TrustEdit, error)) (*TrustEdit, error) {
	c := &TrustChange{AllowUnsigned: s.AllowUnsignedTrust}
	var err error
	if load == trustAsIs {
		c.Trust, err = LoadTrust(s.TrustFile(r.File))
	} else {
		c.Trust, err = s.LoadTrust(ctx, r.File, load == trustCreate)
	}
	if err != nil {
		return nil, err
	}
	if r.Signer != nil {
		if c.Signer, err = ResolveSigningKey(*r.Signer); err != nil {
			return nil, err
		}
	}
	if c.Store, err = s.Open(ctx, false); err != nil {
		return nil, err
	}
	defer c.Store.Close()
	edit, err := fn(c)
	if err != nil {
		return nil, err
	}
	if edit.Warning != "" {
		s.Loud(edit.Warning)
	}
	return edit, nil
}

// Views lists the keys the edit added or removed.
func (e *TrustEdit) Views() []TrustedKeyView {
	out := make([]TrustedKeyView, len(e.Changed))
	for i := range e.Changed {
		out[i] = e.Changed[i].View()
	}
	return out
}
