package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type bundleExportOptions struct {
	export bundle.ExportRequest
	sign   signFlags
	trust  string
}

func newBundleExportCmd(app *App) *cobra.Command {
	opts := &bundleExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --policy P[@v]… --snapshot ID… [--runs RUN…] --sign-key K [--valid-for 30d] -o kit.tar.zst",
		Short: "Write a signed offline bundle of policies, snapshots and runs",
		Long: `Write a bundle (docs/bundle.md) for an air-gapped site: the policy versions
(source, IR, source map and their governance evidence: who drafted,
submitted and approved them), the snapshots (normalized inputs, advisory
index and signals), the runs (record, result, signed run manifest; --runs
brings each run's policy version and snapshot along) and the public keys
they refer to, with a manifest.json listing every entry and a Merkle root,
signed by --sign-key in manifest.dsse.json.

The file is deterministic: a sorted tar with zeroed metadata, compressed
with zstd (or gzip for a .gz/.tgz name, or --compression gzip). Exporting
the same content again gives the same bytes (with an ed25519 key), and the
same sequence number: --sequence defaults to the number an earlier export
of this content got, else one more than the stream's last export
(bundle.exported audit events). createdAt defaults to the newest time in
the contents, never the clock; validUntil to createdAt + --valid-for.

The manifest carries a signed time anchor: this machine's clock at export
(or --time-anchor). An importing site's time may not go behind it. The
anchor is part of the content, so the same content exported again gives
the same bytes and sequence only with the same --time-anchor.`,
		Args: noArgs,
		RunE: runE(app, opts, runBundleExport),
	}
	f := cmd.Flags()
	e := &opts.export
	f.StringArrayVar(&e.Policies, "policy", nil, "registered policy P-n (its active version), P-n@active, P-n@latest or P-n@v (repeatable)")
	f.StringArrayVar(&e.Snapshots, "snapshot", nil, "stored snapshot: its id, a unique prefix, or its directory (repeatable)")
	f.StringSliceVar(&e.Runs, "runs", nil, "recorded runs to carry as evidence: ids, unique prefixes or latest (repeatable, comma-separated)")
	opts.sign.add(f, "private key file or generated key name that signs the manifest (config signing.key)")
	f.StringVar(&e.Times.ValidFor, "valid-for", "30d", "validity after createdAt, e.g. 30d or 72h")
	f.StringVar(&e.Times.ValidUntil, "valid-until", "", "validUntil as an RFC 3339 time (instead of --valid-for)")
	f.StringVar(&e.Times.CreatedAt, "created-at", "", "createdAt as an RFC 3339 time (default: the newest time in the contents)")
	f.StringVar(&e.Times.TimeAnchor, "time-anchor", "", "the signed time anchor, RFC 3339 (default: this machine's clock)")
	f.StringVar(&e.Stream, "stream", "", "bundle stream name (default: the tenant)")
	f.Int64Var(&e.Sequence, "sequence", 0, "sequence number in the stream (default: see above)")
	f.StringVar(&e.Compression, "compression", "", "zstd or gzip (default: from the file name, else zstd)")
	f.StringVarP(&e.Out, "out", "o", "", "the bundle file to write")
	f.StringVar(&opts.trust, "trust", "", "trust config whose scopes are recorded as the roles of the bundle's keys (default: as the governance commands find it)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runBundleExport(ctx context.Context, app *App, opts *bundleExportOptions, _ []string) error {
	o, err := opts.export.Options(time.Now())
	if err != nil {
		return err
	}
	if o.Key, err = governance.ResolveSigningKey(opts.sign.query(app)); err != nil {
		return err
	}
	if o.Key == nil {
		return fail.New(fail.Invalid, "bundle export needs --sign-key (a bundle is always signed)")
	}
	approvals, err := app.site().BundleApprovals(ctx, opts.trust)
	if err != nil {
		return err
	}
	o.Approvals, o.Roles = approvals, approvals.Trust.Roles
	out, err := opts.export.Write(ctx, func() (*store.Store, error) { return app.openStore(ctx, true) }, o)
	if err != nil {
		return err
	}
	return app.render(out, func(w io.Writer) error { return report.BundleExport(w, out) })
}
