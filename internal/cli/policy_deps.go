package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyDepsOptions struct {
	active bool
}

func newPolicyDepsCmd(app *App) *cobra.Command {
	opts := &policyDepsOptions{}
	cmd := &cobra.Command{
		Use:   "deps [POLICY…] [--active] [--format dot|mermaid|json|table]",
		Short: "Show the dependency graph of policies: depends_on, shared scopes, shared gates and profiles",
		Long: `Print the dependency graph of a set of policies (docs/governance.md
"Dependencies"): EXPLICIT edges from metadata depends_on, IMPLICIT_SCOPE
edges from a policy to each policy whose scope contains its own, and
IMPLICIT_LIMIT edges between policies that gate the same setting or carry
an identical profile on overlapping scopes.

POLICY and --active as for policy conflicts (no POLICY: the active
policies). --format dot (Graphviz), mermaid, json, or table (the edges).
policy archive refuses to retire a policy an active policy depends on.`,
		RunE: runE(app, opts, runPolicyDeps),
	}
	cmd.Flags().BoolVar(&opts.active, "active", false, "include the tenant's active policies")
	return cmd
}

func runPolicyDeps(ctx context.Context, app *App, opts *policyDepsOptions, refs []string) error {
	ms, err := app.setMembers(ctx, refs, opts.active || len(refs) == 0)
	if err != nil {
		return err
	}
	g, err := governance.Dependencies(ms)
	if err != nil {
		return err
	}
	return report.DependencyGraph(app.Out, app.Format(), g, app.tableOptions())
}
