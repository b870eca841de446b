package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

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
	reg, err := app.registry(ctx, &opts.gov, true)
	if err != nil {
		return err
	}
	defer reg.Store.Close()
	ps, err := reg.Status(ctx, opts.id)
	if err != nil {
		return err
	}
	return app.render(ps, func(w io.Writer) error { return report.PolicyStatus(w, ps, app.tableOptions()) })
}
