package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
)

// bundleVerifyFlags are the flags of every command that verifies a bundle:
// the site's trust roots, the time anchor and the size limit.
type bundleVerifyFlags struct {
	trustRoots []string
	embedded   bool // --insecure-embedded-key (bundle verify only)
	timeAnchor string
	maxSize    string
	trust      string // the governance trust config that re-verifies carried approvals
}

func (f *bundleVerifyFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.trustRoots, "trust-root", nil, "public key trusted to sign bundles: a PEM file, or the name or id of a key in the database (repeatable; config bundle.trust_roots)")
	fs.StringVar(&f.timeAnchor, "time-anchor", "", "judge staleness at this RFC 3339 time (default: the system clock, with a warning)")
	fs.StringVar(&f.maxSize, "max-size", "", "refuse bundles whose files add up to more than this, e.g. 512MiB (default 2GiB)")
}

// registerTrust adds --trust, for the commands that import.
func (f *bundleVerifyFlags) registerTrust(fs *pflag.FlagSet) {
	fs.StringVar(&f.trust, "trust", "", "governance trust config that carried approvals are re-verified against (default: as the governance commands find it)")
}

// options resolves the flags: trust roots from --trust-root and the config
// key bundle.trust_roots, never from the bundle itself.
func (f *bundleVerifyFlags) options(ctx context.Context, app *App) (bundle.VerifyOptions, bundle.Limits, error) {
	var o bundle.VerifyOptions
	var lim bundle.Limits
	refs := append([]string(nil), f.trustRoots...)
	if app.Config != nil {
		refs = append(refs, app.Config.GetStringSlice("bundle.trust_roots")...)
	}
	for _, r := range refs {
		if err := bundle.CheckLocal(app.Global.Sealed, "trust root", r); err != nil {
			return o, lim, err
		}
	}
	// The keys of the trust config in force are trusted too; a --trust
	// file an import is about to create has none.
	var trust *governance.Trust
	if f.trust == "" || fileExists(f.trust) {
		var err error
		if trust, err = app.trustInForce(f.trust); err != nil {
			return o, lim, err
		}
	}
	keys, err := app.trustedVerifyKeys(ctx, refs, trust)
	if err != nil {
		return o, lim, err
	}
	o.Trusted, o.EmbeddedKeys = keys, f.embedded
	if f.timeAnchor != "" {
		t, err := time.Parse(time.RFC3339, f.timeAnchor)
		if err != nil {
			return o, lim, fail.New(fail.Invalid, "--time-anchor %q: want an RFC 3339 time like 2026-03-01T00:00:00Z", f.timeAnchor)
		}
		o.TimeAnchor = t
	}
	if f.maxSize != "" {
		n, err := parseSize(f.maxSize)
		if err != nil {
			return o, lim, err
		}
		lim.MaxTotalSize = n
	}
	return o, lim, nil
}

// warnClock says when staleness was judged by the system clock, and when
// the bundle expires within 7 days.
func (a *App) warnClock(rep *bundle.Report) {
	if rep == nil {
		return
	}
	if rep.AnchorFrom == "system-clock" {
		a.infof("stella: warning: no --time-anchor given: staleness was checked against the system clock (%s)", rep.TimeAnchor)
	}
	if rep.Expiring != "" {
		a.infof("stella: warning: %s", rep.Expiring)
	}
}

// parseSize reads a byte count: a number with an optional KiB, MiB or GiB
// suffix (K, M, G are the same).
func parseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fail.New(fail.Invalid, "size %q: want a positive number of bytes, optionally with KiB, MiB or GiB", s)
	}
	return n * mult, nil
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBundleVerify(cmd.Context(), app, args[0], opts)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().BoolVar(&opts.embedded, "insecure-embedded-key", false, "with no trusted key, verify with the keys the bundle carries: proves it intact, not who made it")
	return cmd
}

func runBundleVerify(ctx context.Context, app *App, path string, opts *bundleVerifyOptions) error {
	if err := bundle.CheckLocal(app.Global.Sealed, "bundle", path); err != nil {
		return err
	}
	vo, lim, err := opts.options(ctx, app)
	if err != nil {
		return err
	}
	b, err := bundle.Open(path, lim)
	if err != nil {
		return err
	}
	defer b.Close()
	rep, err := b.Verify(ctx, vo)
	if err != nil {
		return err
	}
	app.warnClock(rep)
	status := "verified"
	if rep.EmbeddedKey {
		app.infof("stella: "+embeddedWarning, path)
		status = "verified with its own key (insecure)"
	}
	return app.render(rep, func(w io.Writer) error { return app.bundleReportTable(w, rep, status) })
}

// bundleReportTable prints a verification report.
func (a *App) bundleReportTable(w io.Writer, rep *bundle.Report, status string) error {
	st := a.styles()
	fmt.Fprintf(w, "bundle %s  %s\n", rep.File, st.paint(st.good, strings.ToUpper(status)))
	fmt.Fprintf(w, "  id          %s\n  file        %s\n", rep.BundleID, rep.FileDigest)
	fmt.Fprintf(w, "  stream      %s, sequence %d (tenant %s)\n", rep.Stream, rep.Sequence, rep.Tenant)
	fmt.Fprintf(w, "  producer    %s %s\n", rep.Producer.Name, rep.Producer.Version)
	fmt.Fprintf(w, "  valid       %s … %s (checked at %s, %s: %d days left)\n", rep.CreatedAt, rep.ValidUntil, rep.TimeAnchor, rep.AnchorFrom, rep.DaysLeft)
	fmt.Fprintf(w, "  anchor      %s (the exporter's clock, signed)\n", rep.SignedAnchor)
	fmt.Fprintf(w, "  signed by   %s\n", strings.Join(rep.Signers, ", "))
	fmt.Fprintf(w, "  entries     %d, merkle root %s\n", rep.Entries, rep.MerkleRoot)
	for _, l := range []struct {
		name string
		list []string
	}{{"policies", rep.Policies}, {"snapshots", rep.Snapshots}, {"runs", rep.Runs}} {
		if len(l.list) > 0 {
			fmt.Fprintf(w, "  %-11s %s\n", l.name, strings.Join(l.list, ", "))
		}
	}
	return nil // rep.Warnings went to stderr (warnClock)
}
