package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyVersionsOptions struct {
	gov govFlags
}

func newPolicyVersionsCmd(app *App) *cobra.Command {
	opts := &policyVersionsOptions{}
	cmd := &cobra.Command{
		Use:   "versions P-n",
		Short: "List the versions of a registered policy with their states and approvals",
		Long: `List every version of P-n, oldest first: its state, IR digest, author,
reviewers, and the approvals that count under the trust config in force
(approvals by keys no longer trusted are not counted).`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyVersions),
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runPolicyVersions(ctx context.Context, app *App, opts *policyVersionsOptions, args []string) error {
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) ([]governance.VersionView, error) { return reg.Versions(ctx, args[0]) }, report.Versions)
}
