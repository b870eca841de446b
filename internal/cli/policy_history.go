package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyHistoryOptions struct {
	filter store.RunFilter
}

func newPolicyHistoryCmd(app *App) *cobra.Command {
	opts := &policyHistoryOptions{}
	cmd := &cobra.Command{
		Use:   "history [--policy P] [--status S] [--since TS] [--limit N]",
		Short: "List recorded runs, newest first",
		Long: `List the tenant's recorded runs (policy run, policy simulate --record), newest
first. --status takes a run status (succeeded, failed) or a verdict (passed,
warned, blocked).`,
		Args: noArgs,
		RunE: runE(app, opts, runPolicyHistory),
	}
	f := cmd.Flags()
	f.StringVar(&opts.filter.PolicyID, "policy", "", "only runs of this policy id (P-n, or a policy file's own name), including the set runs it was a member of")
	f.StringVar(&opts.filter.Status, "status", "", "only runs with this status or verdict")
	f.StringVar(&opts.filter.Since, "since", "", "only runs started at or after this RFC 3339 time")
	f.IntVar(&opts.filter.Limit, "limit", 50, "at most this many runs (0: all)")
	return cmd
}

func runPolicyHistory(ctx context.Context, app *App, opts *policyHistoryOptions, _ []string) error {
	f, err := run.HistoryQuery(opts.filter)
	if err != nil {
		return err
	}
	return show(ctx, app, func(st *store.Store) (run.History, error) { return run.ListRuns(ctx, st, f) }, report.History)
}
