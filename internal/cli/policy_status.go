package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyStatusOptions struct {
	gov govFlags
}

func newPolicyStatusCmd(app *App) *cobra.Command {
	opts := &policyStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [P-n]",
		Short: "Show each registered policy's active version and pending versions",
		Args:  rangeArgs(0, 1),
		RunE:  runE(app, opts, runPolicyStatus),
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runPolicyStatus(ctx context.Context, app *App, opts *policyStatusOptions, args []string) error {
	id := ""
	if len(args) == 1 {
		id = args[0]
	}
	return govShow(ctx, app, &opts.gov, func(reg *governance.Registry) ([]governance.PolicyStatus, error) { return reg.Status(ctx, id) }, report.PolicyStatus)
}
