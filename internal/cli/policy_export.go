package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type policyExportOptions struct {
	run  string
	out  string
	sign signFlags
}

func newPolicyExportCmd(app *App) *cobra.Command {
	opts := &policyExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --run RUN -o evidence.tar",
		Short: "Export a run's self-contained evidence: source, IR, inputs, record, findings, explains, signatures",
		Long: `Write a deterministic tar with everything needed to check, replay and
explain a run with no database (docs/attestation.md, "Evidence"): the run
record, the findings and explain traces (the exact bytes its digests
cover), the policy source, IR and source map, the snapshot's manifest and
its normalized input files, the signed policy.run@1 envelope and the
signers' public keys, and manifest.json listing every entry with its
digest, signed by --sign-key into manifest.dsse.json. The same run always
gives the same bytes (with an ed25519 key). Then, anywhere:

  stella policy verify evidence.tar --key PUB
  stella policy replay evidence.tar --key PUB
  stella policy explain evidence.tar --key PUB`,
		Args: noArgs,
		RunE: runE(app, opts, runPolicyExport),
	}
	f := cmd.Flags()
	f.StringVar(&opts.run, "run", "", "the run id")
	f.StringVarP(&opts.out, "output", "o", "", "the evidence file to write")
	opts.sign.add(f, "private key file or generated key name that signs the archive's manifest (config signing.key)")
	cmd.MarkFlagRequired("run")
	cmd.MarkFlagRequired("output")
	return cmd
}

func runPolicyExport(ctx context.Context, app *App, opts *policyExportOptions, _ []string) error {
	key, err := governance.ResolveSigningKey(opts.sign.query(app))
	if err != nil {
		return err
	}
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	ex, err := run.ExportEvidence(ctx, st, opts.run, key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(opts.out, ex.Data, 0o644); err != nil {
		return err
	}
	ex.File = opts.out
	report.ExportNotices(app.info(), ex)
	return app.render(ex, func(w io.Writer) error { return report.EvidenceExported(w, ex) })
}
