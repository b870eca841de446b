package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyExplainOptions struct {
	filter   store.FindingFilter
	evidence evidenceFlags
}

func newPolicyExplainCmd(app *App) *cobra.Command {
	opts := &policyExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain RUN|latest|evidence.tar [--finding ID | --purl P | --vuln V] [--key PUB]",
		Short: "Explain each verdict of a stored run: rule chain, evidence, what would change it",
		Long: `Explain why each finding of a stored run got its verdict: every rule in
evaluation order (✓ matched, ✗ not matched, ⊘ shadowed) with its condition and
the values its operands had, the deciding rule highlighted, the evidence
(advisory, VEX statements and whether they counted, signals, reachability,
exceptions) and, for blocked findings, what would change the verdict.

--format table (default on a terminal), json (the stored traces), or html
(one self-contained file an auditor can open offline). --purl accepts a
trailing * as a prefix match; --vuln matches the advisory id or an alias.

Given an evidence archive (policy export --run) instead of a run, the
explanation is read from the archive alone, with no database: verified
first against --key (or the trust config in force) as policy verify does,
else marked UNVERIFIED on stderr.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyExplain),
	}
	f := cmd.Flags()
	f.StringVar(&opts.filter.FindingID, "finding", "", "only this finding id")
	f.StringVar(&opts.filter.Purl, "purl", "", "only findings of this purl (a trailing * matches a prefix)")
	f.StringVar(&opts.filter.Vuln, "vuln", "", "only findings of this advisory id or alias")
	cmd.MarkFlagsMutuallyExclusive("finding", "purl", "vuln")
	opts.evidence.register(f)
	return cmd
}

func runPolicyExplain(ctx context.Context, app *App, opts *policyExplainOptions, args []string) error {
	ref := args[0]
	var ex *run.Explanation
	if run.IsArchive(ref) {
		a, _, err := opts.evidence.open(ctx, app, ref)
		if err != nil {
			return err
		}
		if ex, err = a.Explain(opts.filter); err != nil {
			return err
		}
	} else {
		st, err := app.openStore(ctx, true)
		if err != nil {
			return err
		}
		defer st.Close()
		if ex, err = run.Explain(ctx, st, ref, opts.filter); err != nil {
			return err
		}
	}
	return report.Explained(app.Out, app.Format(), ex, report.Options{Color: app.Color()})
}
