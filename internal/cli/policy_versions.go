package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

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
	reg, err := app.registry(ctx, &opts.gov, true)
	if err != nil {
		return err
	}
	defer reg.Store.Close()
	vs, err := reg.Versions(ctx, opts.id)
	if err != nil {
		return err
	}
	return app.render(vs, func(w io.Writer) error { return report.Versions(w, vs, app.tableOptions()) })
}
