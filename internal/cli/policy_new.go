package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/governance"
)

type policyNewOptions struct {
	gov govFlags
	id  string
}

func newPolicyNewCmd(app *App) *cobra.Command {
	opts := &policyNewOptions{}
	cmd := &cobra.Command{
		Use:   "new [--id P-n] FILE --sign-key KEY",
		Short: "Register a policy file as a new draft version (policy:author)",
		Long: `Compile FILE and register it as the next immutable version of policy P-n
(a new policy with the next free id when --id is not given), in state draft.
The draft is a statement signed by the acting key (policy.drafted in the audit
log). A file that does not compile registers nothing (exit 2, diagnostics on
stderr); BLOCKING rule conflicts are reported: such a version can be reviewed
but never activated. Registering the IR the latest version already has changes
nothing.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyNew),
	}
	cmd.Flags().StringVar(&opts.id, "id", "", "policy id P-n to add a version to (default: a new policy)")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyNew(ctx context.Context, app *App, opts *policyNewOptions, args []string) error {
	src, err := dsl.ReadFile(args[0])
	if err != nil {
		return err
	}
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		t, res, err := reg.Draft(ctx, act, opts.id, args[0], src)
		if res != nil {
			if rerr := app.compilerDiagnostics(res.Diagnostics, src); rerr != nil {
				return nil, rerr
			}
		}
		return t, err
	})
}
