package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
)

type bundleInspectOptions struct {
	maxSize string
}

func newBundleInspectCmd(app *App) *cobra.Command {
	opts := &bundleInspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect KIT",
		Short: "List a bundle's manifest and files WITHOUT verifying it",
		Long: `Show what the bundle KIT says it holds — its manifest and every file in the
archive with its actual size and sha256, and whether that matches the
manifest — without checking the signature, trust or validity. Nothing
shown is verified; use stella bundle verify for that. The archive is still
read defensively (links, unsafe or duplicate paths and oversized content
are refused with exit 6).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBundleInspect(cmd.Context(), app, args[0], opts)
		},
	}
	cmd.Flags().StringVar(&opts.maxSize, "max-size", "", "refuse bundles whose files add up to more than this, e.g. 512MiB (default 2GiB)")
	return cmd
}

// bundleInspectOut is the unverified view of a bundle.
type bundleInspectOut struct {
	Verified    bool             `json:"verified"` // always false
	Notice      string           `json:"notice"`
	File        string           `json:"file"`
	FileDigest  string           `json:"fileDigest"`
	Bytes       int64            `json:"bytes"`
	Compression string           `json:"compression"`
	Manifest    *bundle.Manifest `json:"manifest"`
	ManifestErr string           `json:"manifestError,omitempty"`
	Files       []inspectFile    `json:"files"` // in archive order
}

type inspectFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Manifest compares the file with the manifest's entry: "matches",
	// "differs", "unlisted", or "manifest" for the two manifest files.
	Manifest string `json:"manifest"`
}

const unverifiedNotice = "UNVERIFIED: signature, trust and validity were not checked (use stella bundle verify)"

func runBundleInspect(ctx context.Context, app *App, path string, opts *bundleInspectOptions) error {
	if err := bundle.CheckLocal(app.Global.Sealed, "bundle", path); err != nil {
		return err
	}
	var lim bundle.Limits
	if opts.maxSize != "" {
		n, err := parseSize(opts.maxSize)
		if err != nil {
			return err
		}
		lim.MaxTotalSize = n
	}
	b, err := bundle.Open(path, lim)
	if err != nil {
		return err
	}
	defer b.Close()
	out := bundleInspectOut{Notice: unverifiedNotice, File: path, FileDigest: b.Digest, Bytes: b.Size, Compression: b.Compression,
		Manifest: b.Manifest, Files: []inspectFile{}}
	listed := map[string]bundle.Entry{}
	if b.ManifestErr != nil {
		out.ManifestErr = b.ManifestErr.Error()
	} else {
		for _, e := range b.Manifest.Entries {
			listed[e.Path] = e
		}
	}
	for _, f := range b.Files() {
		state := "unlisted"
		if e, ok := listed[f.Path]; ok {
			state = "differs"
			if e.SHA256 == f.SHA256 && e.Size == f.Size {
				state = "matches"
			}
		} else if f.Path == bundle.ManifestPath || f.Path == bundle.SignaturePath {
			state = "manifest"
		}
		out.Files = append(out.Files, inspectFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Manifest: state})
	}
	app.infof("stella: %s", unverifiedNotice)
	return app.render(out, func(w io.Writer) error {
		st := app.styles()
		fmt.Fprintf(w, "bundle %s  %s\n", path, st.paint(st.warn, "UNVERIFIED"))
		fmt.Fprintf(w, "  file        %s (%d bytes, %s)\n", out.FileDigest, out.Bytes, out.Compression)
		if m := out.Manifest; m != nil {
			fmt.Fprintf(w, "  id          %s\n  format      %s\n  producer    %s %s\n", m.BundleID, m.Format, m.Producer.Name, m.Producer.Version)
			fmt.Fprintf(w, "  stream      %s, sequence %d (tenant %s)\n  valid       %s … %s\n  merkle root %s\n",
				m.Stream, m.Sequence, m.Tenant, m.CreatedAt, m.ValidUntil, m.MerkleRoot)
			for _, p := range m.Policies {
				fmt.Fprintf(w, "  policy      %s %q %s (%d approvals)\n", p.Ref(), p.Name, p.IRDigest, len(p.Approvals))
			}
			for _, s := range m.Snapshots {
				fmt.Fprintf(w, "  snapshot    %s (%d files)\n", s.ID, s.Files)
			}
			for _, r := range m.Runs {
				fmt.Fprintf(w, "  run         %s findings %s\n", r.RunID, r.FindingsDigest)
			}
			for _, k := range m.TrustRoots {
				fmt.Fprintf(w, "  key         %s %s %s %v\n", k.KeyID, k.Name, k.Type, k.Roles)
			}
		} else {
			fmt.Fprintf(w, "  manifest    %s\n", out.ManifestErr)
		}
		t := app.newTable(w, "PATH", "SIZE", "SHA256", "MANIFEST")
		for _, f := range out.Files {
			t.Append(f.Path, fmt.Sprint(f.Size), shortID(f.SHA256), f.Manifest)
		}
		return t.Render()
	})
}
