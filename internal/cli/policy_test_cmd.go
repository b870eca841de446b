package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/policytest"
)

func newPolicyTestCmd(app *App) *cobra.Command {
	var run string
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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyTest(cmd.Context(), app, args[0], run)
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run only the cases whose name contains this string")
	return cmd
}

func runPolicyTest(ctx context.Context, app *App, dir string, only string) error {
	rep, err := policytest.Run(ctx, dir, only)
	if err != nil {
		return err
	}
	if err := app.render(rep, func(w io.Writer) error { return writeTestReport(w, app, rep) }); err != nil {
		return err
	}
	if rep.Failed > 0 {
		return exitWith(fail.Blocked)
	}
	return nil
}

func writeTestReport(w io.Writer, app *App, rep *policytest.Report) error {
	st := app.styles()
	for _, c := range rep.Cases {
		mark := st.paint(st.good, "PASS")
		if !c.Passed {
			mark = st.paint(st.bad, "FAIL")
		}
		fmt.Fprintf(w, "%s %s (%s: %s, %d findings)\n", mark, c.Name, c.Policy, c.Verdict, c.Findings)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "    %s\n", f)
		}
	}
	for _, cv := range rep.Coverage {
		covered := len(cv.Rules) - len(cv.Unmatched)
		fmt.Fprintf(w, "coverage %q %s: %d of %d rules matched", cv.Policy, canon.Short(cv.Digest, 12), covered, len(cv.Rules))
		if len(cv.Unmatched) > 0 {
			fmt.Fprintf(w, "; never matched: %s", strings.Join(cv.Unmatched, ", "))
		}
		fmt.Fprintln(w)
	}
	verdict := st.paint(st.good, "ok")
	if rep.Failed > 0 {
		verdict = st.paint(st.bad, "FAILED")
	}
	_, err := fmt.Fprintf(w, "%s: %d passed, %d failed\n", verdict, rep.Passed, rep.Failed)
	return err
}
