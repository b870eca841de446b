package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

func newSnapshotImportCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "import DIR",
		Short: "Store a snapshot directory in the database (verified, content-addressed)",
		Long: `Verify the snapshot in DIR (made by stella snapshot create -o DIR): its id
must be the digest of its manifest content and every file must match the
manifest, and the advisory index must cover advisories.json exactly. Then
store its files as content-addressed blobs, deduplicated
against everything already stored, in one transaction. Importing the same
snapshot again changes nothing. policy run --snapshot ID reads it from there.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSnapshotImport(cmd.Context(), app, args[0])
		},
	}
}

type snapshotImportOut struct {
	ID      string         `json:"id"`
	Created bool           `json:"created"`
	Files   int            `json:"files"`
	Bytes   int64          `json:"bytes"`
	Stats   snapshot.Stats `json:"stats"`
}

func runSnapshotImport(ctx context.Context, app *App, dir string) error {
	snap, err := snapshot.OpenDir(dir)
	if err != nil {
		return err
	}
	// Runs read advisories through the index: it must cover advisories.json
	// exactly before the snapshot is stored (docs/inputs.md, "Advisory index").
	if err := snap.Index.Verify(); err != nil {
		return fmt.Errorf("snapshot %s: %w", dir, err)
	}
	files, err := snap.Files()
	if err != nil {
		return err
	}
	summary, err := canon.Marshal(snap.Manifest.Content.Stats)
	if err != nil {
		return err
	}
	src, err := filepath.Abs(dir)
	if err != nil {
		src = dir
	}
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	out := snapshotImportOut{ID: snap.ID(), Files: len(files), Stats: snap.Manifest.Content.Stats}
	sf := make([]store.File, len(files))
	for i, f := range files {
		sf[i] = store.File{Path: f.Path, MediaType: f.MediaType, Data: f.Data}
		out.Bytes += int64(len(f.Data))
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		if out.Created, err = tx.PutSnapshot(ctx, snap.ID(), src, summary, sf); err != nil {
			return err
		}
		if !out.Created {
			return nil
		}
		_, err := tx.Append(ctx, "snapshot.imported", "cli", snap.ID(), map[string]any{"snapshotId": snap.ID(), "source": src, "files": len(sf)})
		return err
	})
	if err != nil {
		return err
	}
	app.Log.Info("snapshot imported", "snapshotId", snap.ID(), "tenant", st.Tenant(), "created", out.Created, "files", out.Files)
	return app.render(out, func(w io.Writer) error {
		verb := "imported"
		if !out.Created {
			verb = "already stored"
		}
		_, err := fmt.Fprintf(w, "%s %s (%d files, %d bytes: %d SBOMs, %d components, %d advisories, %d VEX statements)\n",
			verb, out.ID, out.Files, out.Bytes, out.Stats.SBOMs, out.Stats.Components, out.Stats.Advisories, out.Stats.VEX)
		return err
	})
}
