package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

type trustRmOptions struct {
	gov govFlags
	ref string
}

func newTrustRmCmd(app *App) *cobra.Command {
	opts := &trustRmOptions{}
	cmd := &cobra.Command{
		Use:   "rm KEY-ID|PRINCIPAL",
		Short: "Stop trusting a key, or every key of a principal",
		Long: `Remove keys from the trust config. Statements they signed stay in the audit
log and still verify (the log keeps their public keys), but their approvals no
longer count towards a quorum and they can no longer act. Recorded in the audit
log as trust.removed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ref = args[0]
			return runTrustRm(cmd.Context(), app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runTrustRm(ctx context.Context, app *App, opts *trustRmOptions) error {
	trust, err := app.loadTrust(opts.gov.trust, false)
	if err != nil {
		return err
	}
	removed, err := trust.Remove(opts.ref)
	if err != nil {
		return err
	}
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	out := make([]trustEntryOut, len(removed))
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range removed {
			e := &removed[i]
			out[i] = entryOut(e)
			if _, err := tx.Append(ctx, governance.ActionTrustRemoved, "cli", e.KeyID, map[string]any{
				"principal": e.Principal, "keyId": e.KeyID, "scopes": e.Scopes, "file": trust.Path}); err != nil {
				return err
			}
		}
		return trust.Save()
	})
	if err != nil {
		return err
	}
	return app.render(out, func(w io.Writer) error {
		for _, e := range out {
			fmt.Fprintf(w, "removed %s (%s) from %s\n", e.KeyID, e.Principal, trust.Path)
		}
		return nil
	})
}
