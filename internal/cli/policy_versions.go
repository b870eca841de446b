package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyVersionsOptions struct {
	gov govFlags
	id  string
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
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runPolicyVersions(cmd.Context(), app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runPolicyVersions(ctx context.Context, app *App, opts *policyVersionsOptions) error {
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) ([]governance.VersionView, error) { return reg.Versions(ctx, opts.id) }, report.Versions)
}
