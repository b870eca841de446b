package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type trustSignOptions struct{ gov govFlags }

func newTrustSignCmd(app *App) *cobra.Command {
	opts := &trustSignOptions{}
	cmd := &cobra.Command{
		Use:   "sign --sign-key ADMIN",
		Short: "Record the trust file as it is, signed by a trust admin",
		Long: `Record the trust config as the next version in the audit log, signed by
--sign-key, as trust.signed: the first signed version of a config written by
hand (the key must hold trust:admin in it: the root of trust), or an edit made
with a text editor that a trust admin of the recorded version accepts. Until
then such an edit is refused by every command (exit 6). docs/governance.md
"Signed trust".`,
		Args: noArgs,
		RunE: runE(app, opts, runTrustSign),
	}
	opts.gov.addTrustSignFlags(cmd)
	return cmd
}

func runTrustSign(ctx context.Context, app *App, opts *trustSignOptions, _ []string) error {
	edit, err := app.site().SignTrust(ctx, opts.gov.trustEdit(app))
	if err != nil {
		return err
	}
	report.TrustRoot(app.info(), edit)
	return app.render(edit, func(w io.Writer) error { return report.TrustSigned(w, edit, app.tableOptions()) })
}

// addTrustSignFlags adds --trust and the key flags of a trust change
// (--sign-key, --sign-key-env, --passphrase-env; no --key alias: trust add
// uses --key for the key it trusts).
func (g *govFlags) addTrustSignFlags(cmd *cobra.Command) {
	g.sign.add(cmd.Flags(), "private key of a trust admin to sign the change with: a PEM file or the name of a key in the keys directory (needed once the trust config names a trust admin)")
	g.addTrustFlag(cmd)
}

// trustEdit is the trust change these flags ask for: the signing key only
// when --sign-key or --sign-key-env is given (governance.TrustEditRequest).
func (g *govFlags) trustEdit(a *App) governance.TrustEditRequest {
	r := governance.TrustEditRequest{File: g.trust}
	if g.sign.fs.Changed("sign-key") || g.sign.keyEnv != "" {
		q := g.sign.query(a)
		r.Signer = &q
	}
	return r
}
