package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policyActivateOptions struct {
	gov    govFlags
	shadow string
}

func newPolicyActivateCmd(app *App) *cobra.Command {
	opts := &policyActivateOptions{}
	cmd := &cobra.Command{
		Use:   "activate P-n[@v] [--shadow-evidence RUN] --sign-key KEY",
		Short: "Make an approved version the active one (policy:activate)",
		Long: `Activate the newest approved version of P-n (or version v); the version that
was active is archived (superseded).

Activation guards, each refusing with exit 3 and its name:
  approval      the version is approved
  quorum        its approvals by distinct, trusted principals still reach
                governance.quorum under the trust config in force
  conflicts     it has no BLOCKING dsl.rule.conflict
  run-evidence  the latest full run of its IR succeeded (stella policy run
                P-n@v --snapshot …), or --shadow-evidence names a succeeded
                shadow run of it
The IR must still be what its source compiles to (else exit 6,
policy_ir_hash_mismatch).`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyActivate),
	}
	cmd.Flags().StringVar(&opts.shadow, "shadow-evidence", "", "a succeeded shadow run of the version, instead of its latest full run")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyActivate(ctx context.Context, app *App, opts *policyActivateOptions, args []string) error {
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Activate(ctx, act, args[0], opts.shadow)
	})
}
