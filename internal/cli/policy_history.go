package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyHistoryOptions struct {
	policy string
	status string
	since  string
	limit  int
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
	f.StringVar(&opts.policy, "policy", "", "only runs of this policy id (P-n, or a policy file's own name), including the set runs it was a member of")
	f.StringVar(&opts.status, "status", "", "only runs with this status or verdict")
	f.StringVar(&opts.since, "since", "", "only runs started at or after this RFC 3339 time")
	f.IntVar(&opts.limit, "limit", 50, "at most this many runs (0: all)")
	return cmd
}

func runPolicyHistory(ctx context.Context, app *App, opts *policyHistoryOptions, _ []string) error {
	if opts.limit < 0 {
		return fail.New(fail.Invalid, "--limit %d: want a number of runs, or 0 for all", opts.limit)
	}
	since := ""
	if opts.since != "" {
		t, err := time.Parse(time.RFC3339, opts.since)
		if err != nil {
			return fail.New(fail.Invalid, "--since %q: want an RFC 3339 time like 2025-01-31T00:00:00Z", opts.since)
		}
		since = t.UTC().Format(time.RFC3339)
	}
	f := store.RunFilter{PolicyID: opts.policy, Status: opts.status, Since: since, Limit: opts.limit}
	return show(ctx, app, func(st *store.Store) (run.History, error) { return run.ListRuns(ctx, st, f) }, report.History)
}
