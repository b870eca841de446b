package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyStatusOptions struct {
	gov govFlags
	id  string
}

func newPolicyStatusCmd(app *App) *cobra.Command {
	opts := &policyStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [P-n]",
		Short: "Show each registered policy's active version and pending versions",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.id = args[0]
			}
			return runPolicyStatus(cmd.Context(), app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runPolicyStatus(ctx context.Context, app *App, opts *policyStatusOptions) error {
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) ([]governance.PolicyStatus, error) { return reg.Status(ctx, opts.id) }, report.PolicyStatus)
}
