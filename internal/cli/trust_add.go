package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

type trustAddOptions struct {
	gov       govFlags
	key       string
	principal string
	scopes    []string
}

func newTrustAddCmd(app *App) *cobra.Command {
	opts := &trustAddOptions{}
	cmd := &cobra.Command{
		Use:   "add --key PUB --principal NAME --scopes SCOPE,…",
		Short: "Trust a public key as a principal with scopes",
		Long: `Add a key to the trust config: from now on, commands signed with its private
key act as PRINCIPAL and may do what the scopes allow. PUB is a public (or
private) key file, or the name or id of a key registered in the database.

Scopes: ` + strings.Join(governance.Scopes, ", ") + `.

The trust config stays a human-editable YAML file; add keeps its comments and
other keys. The public key is also registered in the database (so that run
attestations and bundles can name it) and the change is recorded in the
audit log as trust.added.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrustAdd(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "public key to trust: a PEM file, or a registered key name or id")
	f.StringVar(&opts.principal, "principal", "", "who holds the key (letters, digits, '.', '_', '-', '@')")
	f.StringSliceVar(&opts.scopes, "scopes", nil, "comma-separated scopes to grant")
	opts.gov.addTrustFlag(cmd)
	cmd.MarkFlagRequired("key")
	cmd.MarkFlagRequired("principal")
	cmd.MarkFlagRequired("scopes")
	return cmd
}

// trustEntryOut is a trusted key as trust commands print it.
type trustEntryOut struct {
	Principal string   `json:"principal"`
	KeyID     string   `json:"keyId"`
	Type      string   `json:"type"`
	Scopes    []string `json:"scopes"`
}

func entryOut(e *governance.Entry) trustEntryOut {
	return trustEntryOut{Principal: e.Principal, KeyID: e.KeyID, Type: e.Key.Type, Scopes: e.Scopes}
}

func runTrustAdd(ctx context.Context, app *App, opts *trustAddOptions) error {
	scopes, err := governance.ParseScopes(opts.scopes)
	if err != nil {
		return fail.Wrap(fail.Invalid, err)
	}
	keys, err := governance.TrustedKeys(ctx, []string{opts.key}, app.existingStore(ctx))
	if err != nil {
		return err
	}
	trust, err := app.loadTrust(opts.gov.trust, true)
	if err != nil {
		return err
	}
	e, err := trust.Add(opts.principal, keys[0], scopes)
	if err != nil {
		return err
	}
	out := entryOut(e)
	pub, err := e.Key.PublicPEM()
	if err != nil {
		return err
	}
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// The file is written inside the transaction that records the change,
	// so the audit log never misses an edit made by stella.
	err = st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Key(ctx, e.KeyID); fail.Is(err, fail.NotFound) {
			name := e.Principal
			if _, err := tx.Key(ctx, name); err == nil {
				name += "-" + canon.Short(e.KeyID, 12)
			}
			if _, err := tx.PutKey(ctx, store.Key{KeyID: e.KeyID, Name: name, Type: e.Key.Type, PublicPEM: string(pub)}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if _, err := tx.Append(ctx, governance.ActionTrustAdded, "cli", e.KeyID, map[string]any{
			"principal": e.Principal, "keyId": e.KeyID, "scopes": e.Scopes, "file": trust.Path}); err != nil {
			return err
		}
		return trust.Save()
	})
	if err != nil {
		return err
	}
	app.infof("trusted %s as %s in %s", shortID(e.KeyID), e.Principal, trust.Path)
	return app.render(out, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s  %s  %s\n", out.Principal, out.KeyID, strings.Join(out.Scopes, ","))
		return err
	})
}
