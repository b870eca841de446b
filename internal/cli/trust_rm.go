package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
)

type trustRmOptions struct {
	gov govFlags
}

func newTrustRmCmd(app *App) *cobra.Command {
	opts := &trustRmOptions{}
	cmd := &cobra.Command{
		Use:   "rm KEY-ID|PRINCIPAL [--sign-key ADMIN]",
		Short: "Stop trusting a key, or every key of a principal",
		Long: `Remove keys from the trust config. Statements they signed stay in the audit
log and still verify (the log keeps their public keys), but their approvals no
longer count towards a quorum and they can no longer act. The new version of
the config is recorded in the audit log as trust.removed, signed with
--sign-key by a trust admin once the config names one.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runTrustRm),
	}
	opts.gov.addTrustSignFlags(cmd)
	return cmd
}

func runTrustRm(ctx context.Context, app *App, opts *trustRmOptions, args []string) error {
	edit, err := app.site().RemoveTrust(ctx, opts.gov.trustEdit(app), args[0])
	if err != nil {
		return err
	}
	report.TrustRoot(app.info(), edit)
	out := edit.Views()
	return app.render(out, func(w io.Writer) error { return report.TrustRemoved(w, out, edit.File) })
}
