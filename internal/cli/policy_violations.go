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
	since       string
	severityMin string
	source      string
	policy      string
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
	f.StringVar(&opts.since, "since", "", "only runs started at or after this time or age (24h, 7d)")
	f.StringVar(&opts.severityMin, "severity-min", "", "lowest severity band to list: Critical, High, Medium, Low or None")
	f.StringVar(&opts.source, "source", "", "run, simulate or shadow")
	f.StringVar(&opts.policy, "policy", "", "only runs of this policy")
	return cmd
}

// query turns the flags into a store query (run.ViolationQuery); --since
// an age counts back from the database's clock.
func (o *policyViolationsOptions) query(st *store.Store) (store.ViolationQuery, error) {
	since := ""
	if o.since != "" {
		var err error
		if since, err = governance.AuditSince(o.since, st.Now(), 0); err != nil {
			return store.ViolationQuery{}, err
		}
	}
	return run.ViolationQuery(since, o.severityMin, o.source, o.policy)
}

func runPolicyViolations(ctx context.Context, app *App, opts *policyViolationsOptions, _ []string) error {
	return show(ctx, app, func(st *store.Store) (run.Violations, error) {
		q, err := opts.query(st)
		if err != nil {
			return nil, err
		}
		return run.ListViolations(ctx, st, q)
	}, report.Violations)
}
