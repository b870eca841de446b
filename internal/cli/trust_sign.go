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
	edit, err := app.editTrust(ctx, &opts.gov, trustAsIs, func(c *governance.TrustChange) (*governance.TrustEdit, error) {
		return c.Sign(ctx)
	})
	if err != nil {
		return err
	}
	return app.render(edit, func(w io.Writer) error { return report.TrustSigned(w, edit, app.tableOptions()) })
}

// addTrustSignFlags adds --trust and the key flags of a trust change
// (--sign-key, --sign-key-env, --passphrase-env; no --key alias: trust add
// uses --key for the key it trusts).
func (g *govFlags) addTrustSignFlags(cmd *cobra.Command) {
	g.sign.add(cmd.Flags(), "private key of a trust admin to sign the change with: a PEM file or the name of a key in the keys directory (needed once the trust config names a trust admin)")
	g.addTrustFlag(cmd)
}

// trustLoad says how a trust edit reads the trust config.
type trustLoad int

const (
	trustCreate   trustLoad = iota // a missing file starts empty (trust add)
	trustExisting                  // the file must exist (trust rm)
	trustAsIs                      // must exist, not compared with the record (trust sign: recording it is the point)
)

// editTrust loads the trust config, resolves the signing key — only
// --sign-key or --sign-key-env: a trust change is never signed by a
// configured default key —, opens the store and runs fn, then says the
// change's warning loudly.
func (a *App) editTrust(ctx context.Context, g *govFlags, load trustLoad, fn func(*governance.TrustChange) (*governance.TrustEdit, error)) (*governance.TrustEdit, error) {
	c := &governance.TrustChange{AllowUnsigned: a.Global.AllowUnsignedTrust}
	var err error
	if load == trustAsIs {
		c.Trust, err = governance.LoadTrust(a.site().TrustFile(g.trust))
	} else {
		c.Trust, err = a.site().LoadTrust(ctx, g.trust, load == trustCreate)
	}
	if err != nil {
		return nil, err
	}
	if g.sign.fs.Changed("sign-key") || g.sign.keyEnv != "" {
		if c.Signer, err = governance.ResolveSigningKey(g.sign.query(a)); err != nil {
			return nil, err
		}
	}
	if c.Store, err = a.openStore(ctx, false); err != nil {
		return nil, err
	}
	defer c.Store.Close()
	edit, err := fn(c)
	if err != nil {
		return nil, err
	}
	if edit.Warning != "" {
		a.loud(edit.Warning)
	}
	if edit.Root {
		report.TrustRoot(a.info(), edit)
	}
	return edit, nil
}
