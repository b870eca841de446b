package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type bundleStatusOptions struct {
	bundle.StatusRequest
}

func newBundleStatusCmd(app *App) *cobra.Command {
	opts := &bundleStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [--time-anchor TS]",
		Short: "List the bundle streams imported here: last sequence, signed time anchor, validUntil, days left",
		Long: `List, per bundle stream imported into this database, the highest sequence
imported, its bundle id, validUntil and the days left until then, and the
latest signed time anchor (the exporter's clock) of the stream. Days left
are counted from --time-anchor, else the system clock.

Warns on stderr when a stream's newest bundle expires within 7 days or has
expired, and when the clock is behind the latest signed time anchor (a run
would then be refused unless given --as-of). Read from the bundle.imported
audit events (docs/bundle.md, "Time anchors"). Exit 0; 2 for a bad
--time-anchor.`,
		Args: noArgs,
		RunE: runE(app, opts, runBundleStatus),
	}
	cmd.Flags().StringVar(&opts.TimeAnchor, "time-anchor", "", "count days left from this RFC 3339 time (default: the system clock)")
	return cmd
}

func runBundleStatus(ctx context.Context, app *App, opts *bundleStatusOptions, _ []string) error {
	out, err := opts.Status(ctx, time.Now(), func() (*store.Store, error) { return app.openStore(ctx, false) })
	if err != nil {
		return err
	}
	if err := app.render(out, func(w io.Writer) error { return report.BundleStatus(w, out, app.tableOptions()) }); err != nil {
		return err
	}
	report.BundleStatusWarnings(app.info(), out)
	return nil
}
