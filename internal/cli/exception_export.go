package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
)

type exceptionExportOptions struct {
	policyID string
	gov      govFlags
}

func newExceptionExportCmd(app *App) *cobra.Command {
	opts := &exceptionExportOptions{}
	cmd := &cobra.Command{
		Use:   "export [--policy P-n] [--output FILE]",
		Short: "Write the approved exceptions as an exceptions file for simulate, run and snapshots",
		Long: `Write every approved exception (for --policy P-n: those for every policy and
those scoped to P-n) as a stella.exceptions/v1 JSON document, the input
` + "`policy simulate --exceptions`" + ` and ` + "`snapshot create --exceptions`" + ` read. Expired
exceptions are included: the engine compares each timebox with the
evaluation time (--as-of) and lists expired ones as expired in the trace.
Requested and revoked exceptions are left out, and so is an approval that
the trust config in force does not hold with exceptions:approve. Each row
is checked against its signed statements: a row edited in the database is
refused (exit 6) naming it.`,
		Args: noArgs,
		RunE: runE(app, opts, runExceptionExport),
	}
	opts.gov.addTrustFlag(cmd)
	cmd.Flags().StringVar(&opts.policyID, "policy", "", "the registered policy the exceptions are for")
	return cmd
}

func runExceptionExport(ctx context.Context, app *App, opts *exceptionExportOptions, _ []string) error {
	f, err := app.site().ExportExceptions(ctx, opts.gov.trust, opts.policyID)
	if err != nil {
		return err
	}
	return report.JSON(app.Out, f)
}
