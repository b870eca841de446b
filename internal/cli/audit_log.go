package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

func newAuditLogCmd(app *App) *cobra.Command {
	q := &governance.AuditQuery{}
	cmd := &cobra.Command{
		Use:   "log [--since TS|AGE] [--type TYPE] [--subject S] [--limit N]",
		Short: "Show the audit log in chain order",
		Long: `Print audit events oldest first: runs (policy.run.*), governance transitions
(policy.drafted, policy.submitted, policy.approved, policy.activated, …),
exceptions (exception.*), trust edits and key events. --type takes an exact
type or a prefix ending in "." or "*" (policy.run.); --since an RFC 3339 time,
a date, or an age (7d). With --format json each event carries its payload,
previous hash and hash.`,
		Args: noArgs,
		RunE: runE(app, q, runAuditLog),
	}
	f := cmd.Flags()
	f.StringVar(&q.Since, "since", "", "only events at or after this time or age")
	f.StringVar(&q.Type, "type", "", "only events of this type or type prefix")
	f.StringVar(&q.Subject, "subject", "", "only events about this subject (P-n@v, EX-n, a run id, a key id)")
	f.IntVar(&q.Limit, "limit", 0, "at most N events")
	return cmd
}

func runAuditLog(ctx context.Context, app *App, q *governance.AuditQuery, _ []string) error {
	return show(ctx, app, func(st *store.Store) (governance.AuditEvents, error) { return governance.AuditLog(ctx, st, *q) }, report.AuditLog)
}
