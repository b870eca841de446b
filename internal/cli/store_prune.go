package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
)

type storePruneOptions struct {
	olderThan string
	before    string
	dryRun    bool
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStorePrune(cmd.Context(), app, opts)
		},
	}
	cmd.Flags().StringVar(&opts.olderThan, "older-than", "", "retention, e.g. 365d, 90d or 12h (default 365d)")
	cmd.Flags().StringVar(&opts.before, "before", "", "remove runs started before this RFC 3339 time instead")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "count what would be removed, change nothing")
	cmd.MarkFlagsMutuallyExclusive("older-than", "before")
	return cmd
}

func runStorePrune(ctx context.Context, app *App, opts *storePruneOptions) error {
	age := opts.olderThan
	if age == "" && app.Config != nil {
		age = app.Config.GetString("store.retention")
	}
	if age == "" {
		age = "365d"
	}
	d, err := parseAge("--older-than", age)
	if err != nil {
		return err
	}
	var cutoff time.Time
	if opts.before != "" {
		if cutoff, err = time.Parse(time.RFC3339, opts.before); err != nil {
			return fail.New(fail.Invalid, "--before %q: want an RFC 3339 time like 2025-01-31T00:00:00Z", opts.before)
		}
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if cutoff.IsZero() {
		cutoff = st.Now().Add(-d)
	}
	rep, err := st.Prune(ctx, cutoff, opts.dryRun)
	if err != nil {
		return err
	}
	app.Log.Info("store pruned", "tenant", st.Tenant(), "before", rep.Before, "runs", rep.Runs, "dryRun", rep.DryRun)
	return app.render(rep, func(w io.Writer) error {
		verb := "removed"
		if rep.DryRun {
			verb = "would remove"
		}
		_, err := fmt.Fprintf(w, "%s %d runs (%d findings), %d explain traces and %d blobs from before %s\n",
			verb, rep.Runs, rep.Findings, rep.Explains, rep.Blobs, rep.Before)
		return err
	})
}
