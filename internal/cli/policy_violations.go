package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyViolationsOptions struct {
	req run.ViolationRequest // --since, --severity-min, --source, --policy
}

func newPolicyViolationsCmd(app *App) *cobra.Command {
	opts := &policyViolationsOptions{}
	cmd := &cobra.Command{
		Use:   "violations [--since AGE|TS] [--severity-min BAND] [--source run|simulate|shadow] [--policy P]",
		Short: "List blocked and warned findings across recorded runs, one line per finding",
		Long: `List the findings recorded runs blocked or warned, de-duplicated by finding
identity (SBOM, component, advisory: the finding id), with the worst
verdict, first and last seen, how many runs saw it, in which policies and
sources (docs/runs.md "Violations and state").

--since an age (24h, 7d) or an RFC 3339 time: only runs started since;
--severity-min Critical|High|Medium|Low|None keeps that band and above
(findings of unknown severity are always kept); --source run (full runs),
simulate (recorded simulations) or shadow (shadow runs and simulations);
--policy a policy id (P-n, or the name of a policy run from a file).`,
		Args: exactArgs(0),
		RunE: runE(app, opts, runPolicyViolations),
	}
	f := cmd.Flags()
	f.StringVar(&opts.req.Since, "since", "", "only runs started at or after this time or age (24h, 7d)")
	f.StringVar(&opts.req.SeverityMin, "severity-min", "", "lowest severity band to list: Critical, High, Medium, Low or None")
	f.StringVar(&opts.req.Source, "source", "", "run, simulate or shadow")
	f.StringVar(&opts.req.Policy, "policy", "", "only runs of this policy")
	return cmd
}

func runPolicyViolations(ctx context.Context, app *App, opts *policyViolationsOptions, _ []string) error {
	return show(ctx, app, func(st *store.Store) (run.Violations, error) {
		since := func(s string) (string, error) { return governance.AuditSince(s, st.Now(), 0) }
		return run.ListViolations(ctx, st, opts.req, since)
	}, report.Violations)
}
