package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type exceptionRequestOptions struct {
	gov govFlags
	req governance.ExceptionRequest
}

func newExceptionRequestCmd(app *App) *cobra.Command {
	opts := &exceptionRequestOptions{}
	cmd := &cobra.Command{
		Use:   "request --vuln ID… --purl PATTERN… --effect EFFECT --justification TEXT --owner NAME --expires TS --sign-key KEY",
		Short: "Request a time-boxed exception (findings:read)",
		Long: `Request an exception (a waiver) for findings of the given vulnerabilities
(advisory ids or aliases) and/or components (purl patterns: "pkg:npm/lodash"
for every version, "pkg:npm/lodash@4.17.20" for one, "pkg:maven/org.apache/*"
with a glob). At least one of --vuln and --purl is needed; with both, a
finding must match both.

Effects: suppress (the finding is quieted), defer, downgrade:SEV (Critical,
High, Medium, Low, None) and requireControl:ID.

No perpetual waivers: --expires is required — an RFC 3339 time, a date, or an
age after the start such as 30d — and the timebox from --effective (default
now) to it may not exceed governance.exception_max_age (default 365d; exit 3
otherwise). The exception is a signed request until another principal with
exceptions:approve approves it; only approved exceptions apply, and only to
evaluations dated inside their timebox.`,
		Args: noArgs,
		RunE: runE(app, opts, runExceptionRequest),
	}
	f := cmd.Flags()
	r := &opts.req
	f.StringSliceVar(&r.Vulns, "vuln", nil, "vulnerability ids or aliases (repeatable, comma-separated)")
	f.StringArrayVar(&r.Purls, "purl", nil, "purl patterns (repeatable)")
	f.StringVar(&r.Effect, "effect", "", "suppress | defer | downgrade:SEV | requireControl:ID")
	f.StringVar(&r.Justification, "justification", "", "why the risk is accepted")
	f.StringVar(&r.Owner, "owner", "", "who owns the risk until the exception expires")
	f.StringVar(&r.Effective, "effective", "", "start of the timebox (default now)")
	f.StringVar(&r.Expires, "expires", "", "end of the timebox: RFC 3339 time, date, or age after the start (30d)")
	f.StringVar(&r.Ticket, "ticket", "", "tracking ticket")
	f.StringVar(&r.PolicyID, "policy", "", "waive only for this registered policy P-n (default: every policy)")
	for _, n := range []string{"effect", "justification", "owner", "expires"} {
		cmd.MarkFlagRequired(n)
	}
	opts.gov.addFlags(cmd)
	return cmd
}

func runExceptionRequest(ctx context.Context, app *App, opts *exceptionRequestOptions, _ []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		t, _, err := reg.RequestException(ctx, act, opts.req)
		return t, err
	})
}
