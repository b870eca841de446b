package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

type exceptionShowOptions struct {
	gov govFlags
	id  string
}

func newExceptionShowCmd(app *App) *cobra.Command {
	opts := &exceptionShowOptions{}
	cmd := &cobra.Command{
		Use:   "show EX-n",
		Short: "Show an exception's terms and its signed history",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.id = args[0]
			return runExceptionShow(cmd.Context(), app, opts)
		},
	}
	opts.gov.addTrustFlag(cmd)
	return cmd
}

func runExceptionShow(ctx context.Context, app *App, opts *exceptionShowOptions) error {
	reg, err := app.registry(ctx, &opts.gov, true)
	if err != nil {
		return err
	}
	defer reg.Store.Close()
	x, err := reg.ShowException(ctx, opts.id)
	if err != nil {
		return err
	}
	return app.render(x, func(w io.Writer) error {
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "  %-13s %s\n", k, v)
			}
		}
		fmt.Fprintf(w, "%s  %s\n", x.ID, x.State)
		row("vulns", strings.Join(x.Vulns, ", "))
		row("purls", strings.Join(x.Purls, ", "))
		row("effect", strings.Trim(x.Effect+" "+x.Severity+x.Control, " "))
		row("justification", x.Justification)
		row("owner", x.Owner)
		row("policy", x.PolicyID)
		row("timebox", x.Effective+" → "+x.Expires)
		row("ticket", x.Ticket)
		row("requester", x.Requester)
		row("approvers", strings.Join(x.Approvers, ", "))
		for _, h := range x.History {
			fmt.Fprintf(w, "  #%-4d %-20s %s by %s (%s)%s\n", h.Seq, h.Action, h.At, h.Principal, shortID(h.KeyID), list(": ", []string{h.Reason}))
		}
		return nil
	})
}
