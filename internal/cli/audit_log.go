package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type auditLogOptions struct {
	since   string
	typ     string
	subject string
	limit   int
}

func newAuditLogCmd(app *App) *cobra.Command {
	opts := &auditLogOptions{}
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuditLog(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.since, "since", "", "only events at or after this time or age")
	f.StringVar(&opts.typ, "type", "", "only events of this type or type prefix")
	f.StringVar(&opts.subject, "subject", "", "only events about this subject (P-n@v, EX-n, a run id, a key id)")
	f.IntVar(&opts.limit, "limit", 0, "at most N events")
	return cmd
}

func runAuditLog(ctx context.Context, app *App, opts *auditLogOptions) error {
	q := governance.AuditQuery{Since: opts.since, Type: opts.typ, Subject: opts.subject, Limit: opts.limit}
	return show(ctx, app, func(st *store.Store) (governance.AuditEvents, error) { return governance.AuditLog(ctx, st, q) }, report.AuditLog)
}
