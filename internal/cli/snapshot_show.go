package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
)

type snapshotShowOptions struct {
	dir string
}

func newSnapshotShowCmd(app *App) *cobra.Command {
	opts := &snapshotShowOptions{}
	cmd := &cobra.Command{
		Use:   "show ID|DIR",
		Short: "Verify a snapshot and show what it holds",
		Long: `Verifies a snapshot (its id against its manifest, every file against its
digest; exit 6 on a mismatch) and shows its inputs, counts per kind and
ecosystem, the records skipped when it was created, and the components that
have no purl and so cannot match advisories.

ID is a snapshot id or a unique prefix of at least 8 hex digits of one in the
snapshots directory or imported into the database; DIR is a snapshot
directory.`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runSnapshotShow(app, opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "", "directory of snapshots (default: snapshots/ beside the database)")
	return cmd
}

// snapshotShown is the result of snapshot show.
type snapshotShown struct {
	ID       string            `json:"id"`
	Path     string            `json:"path"`
	Inputs   []snapshot.Input  `json:"inputs"`
	Stats    snapshot.Stats    `json:"stats"`
	Digests  snapshot.Digests  `json:"digests"`
	Sources  []snapshot.Source `json:"sources"`
	Feeds    []snapshot.Feed   `json:"feeds,omitempty"` // provenance of cached feeds frozen in (docs/feeds.md)
	Warnings []inputs.Problem  `json:"warnings,omitempty"`
	NoPurl   []noPurlComponent `json:"componentsWithoutPurl"`
}

type noPurlComponent struct {
	SBOM    string `json:"sbom"`
	Ref     string `json:"ref"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

func runSnapshotShow(app *App, opts *snapshotShowOptions, ref string) error {
	root := opts.dir
	if root == "" {
		root = app.snapshotsDir()
	}
	var s *snapshot.Snapshot
	dir, err := snapshot.Resolve(root, ref)
	if fail.Is(err, fail.NotFound) {
		// Not a directory: perhaps a snapshot imported into the database.
		if s, err = app.openStoredSnapshot(context.Background(), ref); err != nil {
			return err
		}
		dir = app.storedPath()
	} else if err != nil {
		return err
	} else if s, err = snapshot.OpenDir(dir); err != nil {
		return err
	}
	if err := s.Index.Verify(); err != nil {
		return fmt.Errorf("snapshot %s: %w", dir, err)
	}
	m := s.Manifest
	out := snapshotShown{ID: m.ID, Path: dir, Inputs: m.Content.Inputs, Stats: m.Content.Stats, Digests: s.Digests,
		Sources: m.Sources, Feeds: m.Content.Feeds, Warnings: m.Warnings, NoPurl: []noPurlComponent{}}
	if out.Sources == nil {
		out.Sources = []snapshot.Source{}
	}
	for _, sb := range s.Inputs.SBOMs {
		for _, c := range sb.Components {
			if c.Purl == "" {
				out.NoPurl = append(out.NoPurl, noPurlComponent{SBOM: sb.Name, Ref: c.Ref, Name: c.Name, Version: c.Version})
			}
		}
	}
	return app.render(out, func(w io.Writer) error { return showSnapshotTable(app, w, &out) })
}

func showSnapshotTable(app *App, w io.Writer, out *snapshotShown) error {
	st := &out.Stats
	fmt.Fprintf(w, "snapshot %s\npath     %s\ncontent  %s\n\n", out.ID, out.Path, statsLine(st))
	t := app.newTable(w, "KIND", "FORMAT", "VERSION", "DIGEST", "COUNTS", "SOURCE")
	for _, in := range out.Inputs {
		var srcs []string
		for _, s := range out.Sources {
			if s.Kind == in.Kind && s.Digest == in.Digest {
				srcs = append(srcs, s.Path)
			}
		}
		t.Append(string(in.Kind), string(in.Format), in.SpecVersion, canon.Short(in.Digest, 12), countsText(in.Counts), strings.Join(srcs, ", "))
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(out.Feeds) > 0 {
		fmt.Fprintf(w, "\nfrozen from the feed cache:\n")
		ft := app.newTable(w, "FEED", "RECORDS", "NEWEST", "FETCHED", "DIGEST", "SOURCE")
		for _, f := range out.Feeds {
			ft.Append(f.Name, f.Records, cmpOrString(f.Newest, "-"), f.FetchedAt, canon.Short(f.Digest, 12), f.URL)
		}
		if err := ft.Render(); err != nil {
			return err
		}
	}
	for _, g := range []struct {
		title string
		cs    []snapshot.Count
	}{
		{"components by ecosystem", st.ComponentsByEcosystem},
		{"advisories by ecosystem", st.AdvisoriesByEcosystem},
		{"advisories by source", st.AdvisoriesBySource},
		{"VEX statements by status", st.VEXByStatus},
	} {
		if len(g.cs) == 0 {
			continue
		}
		var parts []string
		for _, c := range g.cs {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
		}
		fmt.Fprintf(w, "\n%s: %s", g.title, strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if len(out.NoPurl) > 0 {
		fmt.Fprintf(w, "\ncomponents without purl (cannot match advisories):\n")
		for _, c := range out.NoPurl {
			fmt.Fprintf(w, "  %s: %s (%s %s)\n", c.SBOM, c.Ref, c.Name, c.Version)
		}
	}
	var skipped []inputs.Problem
	for _, s := range out.Sources {
		skipped = append(skipped, s.Skipped...)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\nskipped records (--skip-invalid):\n")
		for _, p := range skipped {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return nil
}

// countsText lists the non-zero counts of an input.
func countsText(c inputs.Counts) string {
	var parts []string
	for _, x := range []struct {
		n         int
		one, many string
	}{
		{c.Components, "component", "components"}, {c.NoPurl, "without purl", "without purl"},
		{c.Advisories, "advisory", "advisories"}, {c.Withdrawn, "withdrawn", "withdrawn"},
		{c.VEX, "statement", "statements"}, {c.NVD, "CVE record", "CVE records"}, {c.EPSS, "score", "scores"}, {c.KEV, "entry", "entries"},
		{c.Reachability, "fact", "facts"}, {c.Exceptions, "exception", "exceptions"}, {c.Skipped, "skipped", "skipped"},
	} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, plural(x.n, x.one, x.many)))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}
