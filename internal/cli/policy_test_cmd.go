package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/policytest"
	"github.com/stella-policy/stella/internal/report"
)

func newPolicyTestCmd(app *App) *cobra.Command {
	var only string
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run policy unit tests: fixtures with expected verdicts, and rule coverage",
		Long: `Run the policy test cases under DIR. A case is a directory holding a
case.yaml, or a .txtar archive whose files include case.yaml. case.yaml names
the policy (default: policy.stella in the case, else in DIR), the input files
(sbom, advisories, vex, epss, kev, reachability, exceptions; paths relative to
the case), env and asOf, and what to expect: the run verdict, findings by
advisory (and purl) with their verdict, vexStatus, severity band or deciding
rule, gate outcomes, a finding count.

Prints pass or fail per case with the reasons, then the rule coverage of
every policy: rules no case made match are listed. Exit 0 only when every
case passes; 20 when one fails; 2 for a malformed case or policy.`,
		Args: exactArgs(1),
		RunE: runE(app, &only, runPolicyTest),
	}
	cmd.Flags().StringVar(&only, "run", "", "run only the cases whose name contains this string")
	return cmd
}

func runPolicyTest(ctx context.Context, app *App, only *string, args []string) error {
	rep, err := policytest.Run(ctx, args[0], *only)
	if err != nil {
		return err
	}
	if err := app.render(rep, func(w io.Writer) error { return report.PolicyTest(w, rep, app.Color()) }); err != nil {
		return err
	}
	return rep.Err()
}
