package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/report"
)

type bundleInspectOptions struct {
	bundle.InspectRequest
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
		RunE: runE(app, opts, runBundleInspect),
	}
	cmd.Flags().StringVar(&opts.MaxSize, "max-size", "", "refuse bundles whose files add up to more than this, e.g. 512MiB (default 2GiB)")
	return cmd
}

func runBundleInspect(_ context.Context, app *App, opts *bundleInspectOptions, args []string) error {
	opts.Path, opts.Sealed = args[0], app.Global.Sealed
	out, err := opts.Inspect()
	if err != nil {
		return err
	}
	report.BundleUnverified(app.info())
	return app.render(out, func(w io.Writer) error { return report.BundleInspect(w, out, app.tableOptions()) })
}
