package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
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

func runSnapshotImport(ctx context.Context, app *App, dir string) error {
	out, err := snapshot.Import(ctx, dir, func() (*store.Store, error) { return app.openStore(ctx, false) }, "cli")
	if err != nil {
		return err
	}
	app.Log.Info("snapshot imported", "snapshotId", out.ID, "tenant", out.Tenant, "created", out.Created, "files", out.Files)
	return app.render(out, func(w io.Writer) error { return report.SnapshotImported(w, out) })
}
