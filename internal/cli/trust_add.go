package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type trustAddOptions struct {
	gov govFlags
	add governance.TrustAdd
}

func newTrustAddCmd(app *App) *cobra.Command {
	opts := &trustAddOptions{}
	cmd := &cobra.Command{
		Use:   "add --key PUB --principal NAME --scopes SCOPE,… [--sign-key ADMIN]",
		Short: "Trust a public key as a principal with scopes",
		Long: `Add a key to the trust config: from now on, commands signed with its private
key act as PRINCIPAL and may do what the scopes allow. PUB is a public (or
private) key file, or the name or id of a key registered in the database.

Scopes: ` + strings.Join(governance.Scopes, ", ") + `.

The trust config stays a human-editable YAML file; add keeps its comments and
other keys. The public key is also registered in the database (so that run
attestations and bundles can name it) and the new version of the config is
recorded in the audit log as trust.added. Once the config names a trust
admin (scope trust:admin) every change is signed by one with --sign-key; the
first admin signs the change that adds it (the root of trust). See
docs/governance.md "Signed trust".`,
		Args: noArgs,
		RunE: runE(app, opts, runTrustAdd),
	}
	f := cmd.Flags()
	f.StringVar(&opts.add.Key, "key", "", "public key to trust: a PEM file, or a registered key name or id")
	f.StringVar(&opts.add.Principal, "principal", "", "who holds the key (letters, digits, '.', '_', '-', '@')")
	f.StringSliceVar(&opts.add.Scopes, "scopes", nil, "comma-separated scopes to grant")
	opts.gov.addTrustSignFlags(cmd)
	cmd.MarkFlagRequired("key")
	cmd.MarkFlagRequired("principal")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

func runTrustAdd(ctx context.Context, app *App, opts *trustAddOptions, _ []string) error {
	edit, err := app.site().AddTrust(ctx, opts.gov.trustEdit(app), opts.add)
	if err != nil {
		return err
	}
	report.TrustRoot(app.info(), edit)
	out := edit.Changed[0].View()
	report.KeyTrusted(app.info(), out, edit.File)
	return app.render(out, func(w io.Writer) error { return report.TrustAdded(w, out, app.tableOptions()) })
}
