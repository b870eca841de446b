package cli

import (
	"cmp"
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type storePruneOptions struct {
	req run.PruneRequest // --older-than, --before, --dry-run
}

func newStorePruneCmd(app *App) *cobra.Command {
	opts := &storePruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune [--older-than 365d | --before TS] [--dry-run]",
		Short: "Remove run history older than the retention period",
		Long: `Remove the tenant's runs (with their findings) started before now minus
--older-than, then the explain traces and blobs nothing refers to any more.
Snapshots, policy versions, keys and the audit log are kept. The default
retention is 365 days (config store.retention). Everything happens in one
transaction and is recorded as a store.pruned audit event.`,
		Args: noArgs,
		RunE: runE(app, opts, runStorePrune),
	}
	cmd.Flags().StringVar(&opts.req.OlderThan, "older-than", "", "retention, e.g. 365d, 90d or 12h (default 365d)")
	cmd.Flags().StringVar(&opts.req.Before, "before", "", "remove runs started before this RFC 3339 time instead")
	cmd.Flags().BoolVar(&opts.req.DryRun, "dry-run", false, "count what would be removed, change nothing")
	cmd.MarkFlagsMutuallyExclusive("older-than", "before")
	return cmd
}

func runStorePrune(ctx context.Context, app *App, opts *storePruneOptions, _ []string) error {
	opts.req.OlderThan = cmp.Or(opts.req.OlderThan, app.configString("store.retention"))
	r, err := opts.req.Retention()
	if err != nil {
		return err
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := run.Prune(ctx, st, r)
	if err != nil {
		return err
	}
	app.Log.Info("store pruned", "tenant", st.Tenant(), "before", rep.Before, "runs", rep.Runs, "dryRun", rep.DryRun)
	return app.render(rep, func(w io.Writer) error { return report.Pruned(w, rep, app.tableOptions()) })
}
