package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type policyNewOptions struct {
	gov govFlags
	req governance.NewPolicy
}

func newPolicyNewCmd(app *App) *cobra.Command {
	opts := &policyNewOptions{}
	cmd := &cobra.Command{
		Use:   "new [--id P-n] FILE --sign-key KEY",
		Short: "Register a policy file as a new draft version (policy:author), or --scaffold a starter policy",
		Long: `Compile FILE and register it as the next immutable version of policy P-n
(a new policy with the next free id when --id is not given), in state draft.
The draft is a statement signed by the acting key (policy.drafted in the audit
log). A file that does not compile registers nothing (exit 2, diagnostics on
stderr); BLOCKING rule conflicts are reported: such a version can be reviewed
but never activated. Registering the IR the latest version already has changes
nothing.

With --scaffold, write a starter CI gate policy to FILE instead (blocks
known-exploited and critical vulnerabilities and findings of unknown severity,
warns on high; docs/ci.md) and register nothing: no key or trust config is
needed. An existing FILE is never overwritten (exit 2).`,
		Example: `  stella policy new --scaffold gate.stella     # write a starter policy to edit
  stella policy new gate.stella --sign-key alice  # register it as a draft`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyNew),
	}
	cmd.Flags().StringVar(&opts.req.ID, "id", "", "policy id P-n to add a version to (default: a new policy)")
	cmd.Flags().BoolVar(&opts.req.Scaffold, "scaffold", false, "write a starter CI gate policy to FILE (never overwriting it) instead of registering FILE")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyNew(ctx context.Context, app *App, opts *policyNewOptions, args []string) error {
	opts.req.File = args[0]
	if opts.req.Scaffold {
		if err := opts.req.WriteScaffold(); err != nil {
			return err
		}
		report.Scaffolded(app.Out, args[0])
		return nil
	}
	src, err := opts.req.Source()
	if err != nil {
		return err
	}
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		t, res, err := reg.Draft(ctx, act, opts.req.ID, args[0], src)
		if res != nil {
			if rerr := app.compilerDiagnostics(res.Diagnostics, src); rerr != nil {
				return nil, rerr
			}
		}
		return t, err
	})
}
