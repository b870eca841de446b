package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
)

type policyApproveOptions struct {
	gov    govFlags
	req    governance.ApproveRequest
	attach []string
}

func newPolicyApproveCmd(app *App) *cobra.Command {
	opts := &policyApproveOptions{}
	cmd := &cobra.Command{
		Use:   "approve P-n[@v] --note TEXT [--attach FILE…] --ack-simulation --ack-determinism --sign-key KEY",
		Short: "Approve a submitted version (policy:approve)",
		Long: `Record a signed approval of the submitted version of P-n (or version v).
The approver acknowledges that the simulation and determinism checks were
reviewed (--ack-simulation, --ack-determinism: both required and recorded),
explains the decision (--note) and may attach evidence files (kept in the
database by digest). The approval approves the open submission round: it
signs the digest of the policy.submitted statement it approves
(docs/governance.md "Submission rounds"), and counts only while that round
is open. The version becomes approved when approvals of the round by
distinct principals reach governance.quorum (default 1).

Refused with exit 3: without policy:approve, by the version's author or
submitter (separation of duties), a second approval by the same principal,
without the acknowledgements, or when no simulation of the exact IR is on
record.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyApprove),
	}
	f := cmd.Flags()
	f.StringVar(&opts.req.Note, "note", "", "why the version is approved")
	f.StringArrayVar(&opts.attach, "attach", nil, "file to attach to the approval (repeatable)")
	f.BoolVar(&opts.req.AckSimulation, "ack-simulation", false, "acknowledge that the simulation results were reviewed")
	f.BoolVar(&opts.req.AckDeterminism, "ack-determinism", false, "acknowledge that the determinism check (replay) was reviewed")
	cmd.MarkFlagRequired("note")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyApprove(ctx context.Context, app *App, opts *policyApproveOptions, args []string) error {
	var err error
	if opts.req.Attachments, err = governance.ReadAttachments(opts.attach); err != nil {
		return err
	}
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		return reg.Approve(ctx, act, args[0], opts.req)
	})
}
