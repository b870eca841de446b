package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

// bundleVerifyFlags are the flags of every command that verifies a bundle:
// the site's trust roots, the time anchor and the size limit
// (governance.BundleCheck).
type bundleVerifyFlags struct {
	governance.BundleCheck
}

func (f *bundleVerifyFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.TrustRoots, "trust-root", nil, "public key trusted to sign bundles: a PEM file, or the name or id of a key in the database (repeatable; config bundle.trust_roots)")
	fs.StringVar(&f.TimeAnchor, "time-anchor", "", "judge staleness at this RFC 3339 time (default: the system clock, with a warning)")
	fs.StringVar(&f.MaxSize, "max-size", "", "refuse bundles whose files add up to more than this, e.g. 512MiB (default 2GiB)")
}

// registerTrust adds --trust, for the commands that import.
func (f *bundleVerifyFlags) registerTrust(fs *pflag.FlagSet) {
	fs.StringVar(&f.Trust, "trust", "", "governance trust config that carried approvals are re-verified against (default: as the governance commands find it)")
}

// check is the flags as the site reads them: with the trust roots of the
// config key bundle.trust_roots, in sealed mode or not.
func (f *bundleVerifyFlags) check(app *App) governance.BundleCheck {
	c := f.BundleCheck
	c.TrustRoots, c.Sealed = app.trustRoots(c.TrustRoots), app.Global.Sealed
	return c
}

// importOptions are the options of a bundle import under these flags
// (governance.Site.ImportOptions).
func (f *bundleVerifyFlags) importOptions(ctx context.Context, app *App, path string) (bundle.ImportOptions, bundle.Limits, error) {
	return app.site().ImportOptions(ctx, f.check(app), path)
}

// trustRoots are the keys trusted to sign bundles and their audit
// checkpoints: --trust-root's, and the config key bundle.trust_roots'.
func (a *App) trustRoots(flag []string) []string {
	refs := append([]string(nil), flag...)
	if a.Config != nil {
		refs = append(refs, a.Config.GetStringSlice("bundle.trust_roots")...)
	}
	return refs
}

type bundleVerifyOptions struct {
	bundleVerifyFlags
}

func newBundleVerifyCmd(app *App) *cobra.Command {
	opts := &bundleVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify KIT [--trust-root PUB…] [--time-anchor TS]",
		Short: "Verify a bundle's signature, entries, Merkle root and validity",
		Long: `Verify the bundle KIT without importing anything: the DSSE signature of
manifest.dsse.json by one of the trust roots (--trust-root, config
bundle.trust_roots: the keys this site trusts, never the ones the bundle
carries); that the signed payload is exactly manifest.json; every entry's
size and sha256 and that the archive holds nothing else; the Merkle root;
that every snapshot's id matches its content; and staleness: validUntil
must not be before the time anchor (--time-anchor, else the system clock,
with a warning) and createdAt not more than 5 minutes after it.

The archive is read defensively: links, unsafe or duplicate paths and
anything beyond the size limits (--max-size) are refused. Prints a summary.
Exit 6 on any failure.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runBundleVerify),
	}
	opts.register(cmd.Flags())
	cmd.Flags().BoolVar(&opts.Embedded, "insecure-embedded-key", false, "with no trusted key, verify with the keys the bundle carries: proves it intact, not who made it")
	return cmd
}

func runBundleVerify(ctx context.Context, app *App, opts *bundleVerifyOptions, args []string) error {
	path := args[0]
	rep, err := app.site().VerifyBundle(ctx, opts.check(app), path)
	if err != nil {
		return err
	}
	report.BundleClock(app.info(), rep)
	status := "verified"
	if rep.EmbeddedKey {
		report.EmbeddedKey(app.info(), path)
		status = "verified with its own key (insecure)"
	}
	return app.render(rep, func(w io.Writer) error { return report.BundleVerified(w, rep, status, app.tableOptions()) })
}
