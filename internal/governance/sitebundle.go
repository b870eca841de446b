package governance

import (
	"context"
	"os"

	"github.com/stella-policy/stella/internal/bundle"
)

// How this site verifies and imports a bundle (docs/bundle.md): the keys
// it trusts to sign bundles — the trust roots it names, never the ones the
// bundle carries, and its trust config's bundle:sign keys — and the trust
// config that judges the approvals a bundle carries, read once.

// BundleCheck is how a command verifies a bundle, as given: the flags of
// bundle verify, bundle import and policy run --bundle.
type BundleCheck struct {
	TrustRoots []string // --trust-root and config bundle.trust_roots: PEM files, or registered key names or ids
	Embedded   bool     // --insecure-embedded-key (bundle verify only)
	TimeAnchor string   // --time-anchor, RFC 3339 ("": the clock)
	MaxSize    string   // --max-size ("": the default)
	Trust      string   // --trust: the trust config that judges carried approvals (the commands that import)
	Sealed     bool     // sealed mode: a bundle or trust root named by URL is a sealed-mode violation
}

// VerifyBundle is `bundle verify`: the bundle at path (a local file)
// verified as c asks, under the trust config in force (bundleTrust);
// nothing is imported.
func (s *Site) VerifyBundle(ctx context.Context, c BundleCheck, path string) (*bundle.Report, error) {
	if err := bundle.CheckLocal(c.Sealed, "bundle", path); err != nil {
		return nil, err
	}
	vo, lim, err := s.verifyOptions(ctx, c, func() (*Trust, error) { return s.bundleTrust(ctx, c.Trust) })
	if err != nil {
		return nil, err
	}
	b, err := bundle.Open(path, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.Verify(ctx, vo)
}

// ImportOptions are the options of importing the bundle at path as c asks:
// path must be local, and the approvals the bundle carries are judged by
// the trust config in force (bundleTrust).
func (s *Site) ImportOptions(ctx context.Context, c BundleCheck, path string) (bundle.ImportOptions, bundle.Limits, error) {
	return s.importOptions(ctx, c, path, func() (*Trust, error) { return s.bundleTrust(ctx, c.Trust) })
}

// importOptions is ImportOptions under the trust config in force that
// trust reads (a run passes the one it already read: read once, a config
// used with AllowUnsignedTrust is said and recorded once).
func (s *Site) importOptions(ctx context.Context, c BundleCheck, path string, trust func() (*Trust, error)) (bundle.ImportOptions, bundle.Limits, error) {
	if err := bundle.CheckLocal(c.Sealed, "bundle", path); err != nil {
		return bundle.ImportOptions{}, bundle.Limits{}, err
	}
	var t *Trust
	vo, lim, err := s.verifyOptions(ctx, c, func() (*Trust, error) {
		var err error
		t, err = trust()
		return t, err
	})
	if err != nil {
		return bundle.ImportOptions{}, lim, err
	}
	approvals, err := s.approvalsBy(t, c.Trust)
	return bundle.ImportOptions{Verify: vo, Approvals: approvals, Actor: "cli", Tenant: s.Tenant, DB: s.DB}, lim, err
}

// verifyOptions resolves c: the trust roots (which must be local files or
// registered keys) and the keys of the trust config in force, read by
// trust (nil: none), that hold bundle:sign; the time anchor; the size
// limit.
func (s *Site) verifyOptions(ctx context.Context, c BundleCheck, trust func() (*Trust, error)) (bundle.VerifyOptions, bundle.Limits, error) {
	var o bundle.VerifyOptions
	for _, r := range c.TrustRoots {
		if err := bundle.CheckLocal(c.Sealed, "trust root", r); err != nil {
			return o, bundle.Limits{}, err
		}
	}
	t, err := trust()
	if err != nil {
		return o, bundle.Limits{}, err
	}
	keys, err := VerifyKeys(ctx, c.TrustRoots, t.With(ScopeBundleSign), s.Existing(ctx))
	if err != nil {
		return o, bundle.Limits{}, err
	}
	o.Trusted, o.EmbeddedKeys = keys, c.Embedded
	if o.TimeAnchor, err = bundle.FlagTime("--time-anchor", c.TimeAnchor); err != nil {
		return o, bundle.Limits{}, err
	}
	lim, err := bundle.SizeLimit(c.MaxSize)
	return o, lim, err
}

// bundleTrust is the trust config in force for verifying or importing a
// bundle (flag is --trust), as InForce finds it; a --trust file that does
// not exist yet, which an import is about to create, has none (nil).
func (s *Site) bundleTrust(ctx context.Context, flag string) (*Trust, error) {
	if _, err := os.Stat(flag); flag != "" && err != nil {
		return nil, nil
	}
	return s.InForce(ctx, flag)
}

// approvalsBy is BundleApprovals by trust, the trust config in force
// already read: when it is nil, an empty one at flag (else where
// TrustFile finds it), the configured settings applied, that trusts
// nobody, so carried approvals do not count.
func (s *Site) approvalsBy(trust *Trust, flag string) (*BundleApprovals, error) {
	if trust == nil {
		trust = NewTrust(s.TrustFile(flag))
		if err := trust.Settings.Override(s.Setting); err != nil {
			return nil, err
		}
	}
	return &BundleApprovals{Trust: trust, Settings: trust.Settings, Actor: "cli"}, nil
}
