package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type bundleImportOptions struct {
	bundleVerifyFlags
	req bundle.ImportRequest
}

func newBundleImportCmd(app *App) *cobra.Command {
	opts := &bundleImportOptions{}
	cmd := &cobra.Command{
		Use:   "import KIT [--trust-root PUB…] [--time-anchor TS] [--force --reason TEXT]",
		Short: "Verify a bundle and store its contents in one transaction",
		Long: `Verify the bundle KIT exactly as stella bundle verify does, then store
everything it holds in one transaction: its keys (as known keys, never as
trusted ones), the policy versions under their own ids and version numbers,
their governance evidence (re-verified against this site's trust config:
approvals by keys this site does not trust do not count), the snapshots,
the run evidence, the manifest and its signature, and a bundle.imported
audit event.

Each bundle stream's sequence must grow: a bundle whose sequence is not
greater than the last one imported for its stream is refused as a replay,
unless --force --reason TEXT (the reason goes into the audit log).
Importing the very same bundle again changes nothing.

A bundle that fails verification or is refused is moved to the quarantine
directory (--quarantine, default quarantine/ beside the database) as
<dir>/<sha256 prefix>/<file> with a reason.txt; nothing else is written,
and the database is not even created. Exit 6 for integrity failures.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runBundleImport),
	}
	f := cmd.Flags()
	opts.register(f)
	opts.registerTrust(f)
	f.BoolVar(&opts.req.Force, "force", false, "import even if the sequence is not greater than the last imported (needs --reason)")
	f.StringVar(&opts.req.Reason, "reason", "", "why --force is needed; recorded in the audit log")
	f.StringVar(&opts.req.Quarantine, "quarantine", "", "where refused bundles are moved (default quarantine/ beside the database)")
	return cmd
}

func runBundleImport(ctx context.Context, app *App, opts *bundleImportOptions, args []string) error {
	path := args[0]
	o, lim, err := opts.importOptions(ctx, app, path)
	if err != nil {
		return err
	}
	res, err := opts.req.ImportFile(ctx, path, lim, func() (*store.Store, error) { return app.openStore(ctx, false) }, o)
	if err != nil {
		return err
	}
	report.BundleClock(app.info(), res.Report)
	out := report.NewBundleImport(res, o.Approvals)
	return app.render(out, func(w io.Writer) error { return report.BundleImported(w, path, res, out.Approvals, app.tableOptions()) })
}
