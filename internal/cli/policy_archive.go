package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policyArchiveOptions struct {
	gov    govFlags
	reason string
}

func newPolicyArchiveCmd(app *App) *cobra.Command {
	opts := &policyArchiveOptions{}
	cmd := &cobra.Command{
		Use:   "archive P-n[@v] [--reason TEXT] --sign-key KEY",
		Short: "Retire a version (policy:operate)",
		Long: `Archive the active version of P-n (or version v, in any state). The active
version of a policy cannot be archived while another active policy depends on
it (metadata depends_on = ["P-n"]) or a live exception is scoped to it: the
references guard refuses with exit 3 and names them.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyArchive),
	}
	cmd.Flags().StringVar(&opts.reason, "reason", "", "why it is retired (recorded)")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyArchive(ctx context.Context, app *App, opts *policyArchiveOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Archive(ctx, act, args[0], opts.reason)
	})
}
