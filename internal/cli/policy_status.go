package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

type policyStatusOptions struct {
	gov govFlags
	id  string
}

func newPolicyStatusCmd(app *App) *cobra.Command {
	opts := &policyStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [P-n]",
		Short: "Show each registered policy's active version and pending versions",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.id = args[0]
			}
			return runPolicyStatus(cmd.Context(), app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runPolicyStatus(ctx context.Context, app *App, opts *policyStatusOptions) error {
	reg, err := app.registry(ctx, &opts.gov, true)
	if err != nil {
		return err
	}
	defer reg.Store.Close()
	ps, err := reg.Status(ctx, opts.id)
	if err != nil {
		return err
	}
	return app.render(ps, func(w io.Writer) error {
		t := app.newTable(w, "POLICY", "NAME", "ACTIVE", "LATEST", "PENDING")
		for _, p := range ps {
			active := "-"
			if p.Active != nil {
				active = fmt.Sprintf("@%d", p.Active.Version)
			}
			var pending []string
			for _, v := range p.Pending {
				pending = append(pending, fmt.Sprintf("@%d %s %d/%d", v.Version, v.State, len(v.Approvers), v.Quorum))
			}
			t.Append(p.PolicyID, p.Name, active, fmt.Sprintf("@%d %s", p.Latest.Version, p.Latest.State), strings.Join(pending, "; "))
		}
		return t.Render()
	})
}
