package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyHistory(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.policy, "policy", "", "only runs of this policy id (P-n, or a policy file's own name), including the set runs it was a member of")
	f.StringVar(&opts.status, "status", "", "only runs with this status or verdict")
	f.StringVar(&opts.since, "since", "", "only runs started at or after this RFC 3339 time")
	f.IntVar(&opts.limit, "limit", 50, "at most this many runs (0: all)")
	return cmd
}

func runPolicyHistory(ctx context.Context, app *App, opts *policyHistoryOptions) error {
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
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	var runs []*store.Run
	if err := st.View(ctx, func(tx *store.Tx) error {
		runs, err = tx.Runs(ctx, store.RunFilter{PolicyID: opts.policy, Status: opts.status, Since: since, Limit: opts.limit})
		return err
	}); err != nil {
		return err
	}
	if runs == nil {
		runs = []*store.Run{}
	}
	return app.render(runs, func(w io.Writer) error {
		if len(runs) == 0 {
			_, err := fmt.Fprintln(w, "no runs recorded")
			return err
		}
		s := app.styles()
		t := app.newTable(w, "RUN", "POLICY", "MODE", "STATUS", "VERDICT", "FINDINGS", "STARTED", "DURATION")
		for _, r := range runs {
			policy := r.PolicyID
			if r.PolicyVersion > 0 {
				policy = fmt.Sprintf("%s@%d", r.PolicyID, r.PolicyVersion)
			}
			mode := r.Mode
			if r.Shadow {
				mode += " (shadow)"
			}
			t.Append(r.RunID, policy, mode, r.Status, report.VerdictText(r.Verdict, s.color), fmt.Sprint(r.Findings), r.StartedAt,
				(time.Duration(r.DurationMS) * time.Millisecond).String())
		}
		return t.Render()
	})
}
