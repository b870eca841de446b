package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/snapshot"
)

type bundleExportOptions struct {
	policies    []string
	snapshots   []string
	runs        []string
	sign        signFlags
	validFor    string
	validUntil  string
	createdAt   string
	anchor      string
	stream      string
	sequence    int64
	compression string
	out         string
	trust       string
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBundleExport(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.policies, "policy", nil, "registered policy P-n (its active version), P-n@active, P-n@latest or P-n@v (repeatable)")
	f.StringArrayVar(&opts.snapshots, "snapshot", nil, "stored snapshot: its id, a unique prefix, or its directory (repeatable)")
	f.StringSliceVar(&opts.runs, "runs", nil, "recorded runs to carry as evidence: ids, unique prefixes or latest (repeatable, comma-separated)")
	opts.sign.add(f, "private key file or generated key name that signs the manifest (config signing.key)")
	f.StringVar(&opts.validFor, "valid-for", "30d", "validity after createdAt, e.g. 30d or 72h")
	f.StringVar(&opts.validUntil, "valid-until", "", "validUntil as an RFC 3339 time (instead of --valid-for)")
	f.StringVar(&opts.createdAt, "created-at", "", "createdAt as an RFC 3339 time (default: the newest time in the contents)")
	f.StringVar(&opts.anchor, "time-anchor", "", "the signed time anchor, RFC 3339 (default: this machine's clock)")
	f.StringVar(&opts.stream, "stream", "", "bundle stream name (default: the tenant)")
	f.Int64Var(&opts.sequence, "sequence", 0, "sequence number in the stream (default: see above)")
	f.StringVar(&opts.compression, "compression", "", "zstd or gzip (default: from the file name, else zstd)")
	f.StringVarP(&opts.out, "out", "o", "", "the bundle file to write")
	f.StringVar(&opts.trust, "trust", "", "trust config whose scopes are recorded as the roles of the bundle's keys (default: as the governance commands find it)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// bundleExportOut is what export reports.
type bundleExportOut struct {
	File        string   `json:"file"`
	FileDigest  string   `json:"fileDigest"`
	Bytes       int      `json:"bytes"`
	Compression string   `json:"compression"`
	BundleID    string   `json:"bundleId"`
	Stream      string   `json:"stream"`
	Sequence    int64    `json:"sequence"`
	Reused      bool     `json:"sequenceReused"`
	CreatedAt   string   `json:"createdAt"`
	ValidUntil  string   `json:"validUntil"`
	TimeAnchor  string   `json:"timeAnchor"`
	Entries     int      `json:"entries"`
	MerkleRoot  string   `json:"merkleRoot"`
	Policies    []string `json:"policies"`
	Snapshots   []string `json:"snapshots"`
	Runs        []string `json:"runs"`
	Signer      string   `json:"signer"`
}

func runBundleExport(ctx context.Context, app *App, opts *bundleExportOptions) error {
	o := bundle.ExportOptions{Policies: opts.policies, Runs: opts.runs, Stream: opts.stream,
		Sequence: opts.sequence, Compression: opts.compression}
	for _, ref := range opts.snapshots {
		if isDir(ref) { // a snapshot directory names the stored snapshot by its id
			s, err := snapshot.OpenDir(ref)
			if err != nil {
				return err
			}
			ref = s.ID()
		}
		o.Snapshots = append(o.Snapshots, ref)
	}
	if o.Compression == "" {
		o.Compression = bundle.Zstd
		if strings.HasSuffix(opts.out, ".gz") || strings.HasSuffix(opts.out, ".tgz") {
			o.Compression = bundle.Gzip
		}
	}
	var err error
	if o.ValidFor, err = parseValidity(opts.validFor); err != nil {
		return err
	}
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"--valid-until", opts.validUntil, &o.ValidUntil}, {"--created-at", opts.createdAt, &o.CreatedAt}, {"--time-anchor", opts.anchor, &o.TimeAnchor}} {
		if t.val == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.val); err != nil {
			return fail.New(fail.Invalid, "%s %q: want an RFC 3339 time like 2026-03-01T00:00:00Z", t.flag, t.val)
		}
	}
	if o.TimeAnchor.IsZero() {
		o.TimeAnchor = time.Now()
	}
	if o.Key, err = app.signingKey(&opts.sign); err != nil {
		return err
	}
	if o.Key == nil {
		return fail.New(fail.Invalid, "bundle export needs --sign-key (a bundle is always signed)")
	}
	trust, err := app.bundleTrustConfig(opts.trust)
	if err != nil {
		return err
	}
	o.Approvals = &governance.BundleApprovals{Trust: trust, Settings: trust.Settings, Actor: "cli"}
	o.Roles = trust.Roles
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	ex, err := bundle.Export(ctx, st, o)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(opts.out, ex.Data, 0o644); err != nil {
		return err
	}
	m := ex.Manifest
	out := bundleExportOut{File: opts.out, FileDigest: canon.Digest(ex.Data), Bytes: len(ex.Data), Compression: o.Compression,
		BundleID: m.BundleID, Stream: m.Stream, Sequence: m.Sequence, Reused: ex.Reused, CreatedAt: m.CreatedAt, ValidUntil: m.ValidUntil,
		TimeAnchor: m.TimeAnchor, Entries: len(m.Entries), MerkleRoot: m.MerkleRoot, Policies: []string{}, Snapshots: []string{}, Runs: []string{}, Signer: o.Key.ID}
	for _, p := range m.Policies {
		out.Policies = append(out.Policies, p.Ref())
	}
	for _, s := range m.Snapshots {
		out.Snapshots = append(out.Snapshots, s.ID)
	}
	for _, r := range m.Runs {
		out.Runs = append(out.Runs, r.RunID)
	}
	return app.render(out, func(w io.Writer) error {
		again := ""
		if out.Reused {
			again = " (same content as an earlier export: same sequence, same bytes)"
		}
		fmt.Fprintf(w, "wrote %s (%d bytes, %s)%s\n", out.File, out.Bytes, out.Compression, again)
		fmt.Fprintf(w, "  id         %s\n  file       %s\n  stream     %s, sequence %d\n  valid      %s … %s\n  anchor     %s\n  entries    %d, merkle root %s\n  signed by  %s\n",
			out.BundleID, out.FileDigest, out.Stream, out.Sequence, out.CreatedAt, out.ValidUntil, out.TimeAnchor, out.Entries, out.MerkleRoot, out.Signer)
		return nil
	})
}

// parseValidity reads --valid-for: "30d" or a Go duration such as "72h".
func parseValidity(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var d int
		if _, err := fmt.Sscanf(n, "%d", &d); err == nil && d > 0 && fmt.Sprint(d) == n {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fail.New(fail.Invalid, "--valid-for %q: want a positive number of days like 30d, or a duration like 72h", s)
}

// bundleTrustConfig returns this site's governance trust config (--trust,
// else found as the governance commands find it), or an empty one when there is none: it
// then trusts nobody, and carried approvals do not count.
func (a *App) bundleTrustConfig(flag string) (*governance.Trust, error) {
	return a.loadTrust(flag, true)
}
