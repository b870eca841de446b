package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type policyReplayOptions struct {
	evidence evidenceFlags
}

func newPolicyReplayCmd(app *App) *cobra.Command {
	opts := &policyReplayOptions{}
	cmd := &cobra.Command{
		Use:   "replay RUN|latest|evidence.tar [--key PUB]",
		Short: "Re-evaluate a stored run (or an evidence archive) from its frozen inputs and IR; compare the outputs",
		Long: `Re-evaluate a recorded run from what the database froze for it — the stored
IR and source map, the stored snapshot, the run's env, evaluation time and
shadow flag — and compare the findings and explain digests with the
original. Exit 0 when they are identical, 6 on any difference, showing the
first differing finding. The outcome is recorded as a policy.run.replayed
audit event; the run itself is not changed.

Given an evidence archive (policy export --run) instead, the replay needs
no database and opens none: the archive's IR is evaluated on its own
normalized inputs with the recorded env, time and shadow flag, and compared
with its recorded digests. With --key (or a trust config in force) the
archive is verified first, as policy verify does (exit 6 on failure);
without, it is only checked against its own manifest, and the output says
UNVERIFIED.`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyReplay),
	}
	opts.evidence.register(cmd.Flags())
	return cmd
}

func runPolicyReplay(ctx context.Context, app *App, opts *policyReplayOptions, args []string) error {
	ref, evidence := args[0], ""
	var rep *run.ReplayReport
	var log []any                         // the log record's attributes before the digests
	verify := func() error { return nil } // a stored run's signed manifest (run.Replayed.Verify)
	if run.IsArchive(ref) {
		// An evidence archive is replayed with no database.
		a, verified, err := opts.evidence.open(ctx, app, ref)
		if err != nil {
			return err
		}
		if rep, err = a.Replay(ctx); err != nil {
			return err
		}
		rep.Verified, evidence = &verified, ref
		log = []any{"evidence", ref, "runId", rep.RunID, "identical", rep.Identical, "verified", verified}
	} else {
		st, err := app.openStore(ctx, true)
		if err != nil {
			return err
		}
		defer st.Close()
		rp, err := governance.Replay(ctx, st, ref)
		if err != nil {
			return err
		}
		rep, verify = &rp.Report, rp.Verify
		log = []any{"runId", rep.RunID, "tenant", st.Tenant(), "identical", rep.Identical}
	}
	app.Log.Info("policy replay", append(log, "findingsDigest", rep.Replay.FindingsDigest, "explainsDigest", rep.Replay.ExplainsDigest)...)
	if err := app.render(rep, func(w io.Writer) error { return report.ReplayTable(w, rep, report.Options{Color: app.Color()}) }); err != nil {
		return err
	}
	if !rep.Identical {
		report.ReplayDiffers(app.info(), rep, evidence)
		return fail.Reported(fail.Integrity)
	}
	return verify()
}
