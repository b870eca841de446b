package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

type policyExportOptions struct {
	run string
	out string
}

func newPolicyExportCmd(app *App) *cobra.Command {
	opts := &policyExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --run RUN -o evidence.tar",
		Short: "Export a run's evidence for auditors: record, findings, explains, IR, inputs, attestation",
		Long: `Write a deterministic tar with everything needed to check a run offline:
the run record, the findings and explain traces (the exact bytes its digests
cover), the policy IR and source map, the snapshot manifest, the signed
policy.run@1 envelope and the signers' public keys. The same run always gives
the same bytes. Check it anywhere with: stella policy verify evidence.tar --key PUB`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyExport(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.run, "run", "", "the run id")
	f.StringVarP(&opts.out, "output", "o", "", "the evidence file to write")
	cmd.MarkFlagRequired("run")
	cmd.MarkFlagRequired("output")
	return cmd
}

func runPolicyExport(ctx context.Context, app *App, opts *policyExportOptions) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	ev := &attest.Evidence{Keys: map[string][]byte{}}
	var r *store.Run
	err = st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveRun(ctx, opts.run)
		if err != nil {
			return err
		}
		if r, err = tx.Run(ctx, id); err != nil {
			return err
		}
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.Invalid, "run %s %s; only succeeded runs have evidence to export", r.RunID, r.Status)
		}
		ev.Record = r.Record
		out, err := tx.VerifiedOutputs(ctx, r)
		if err != nil {
			return err
		}
		ev.Findings, ev.Explains = out.Findings, out.Explains
		if ev.IR, err = tx.RunIR(ctx, r); err != nil {
			return err
		}
		if ev.SourceMap, err = tx.RunSourceMap(ctx, r); err != nil {
			return err
		}
		if r.SnapshotID != "" {
			if ev.InputManifest, err = snapshotManifest(ctx, tx, r.SnapshotID); err != nil {
				return err
			}
		}
		if r.Attestation != nil {
			ev.Envelope = r.Attestation
			env, err := attest.ParseEnvelope("stored attestation", r.Attestation)
			if err != nil {
				return err
			}
			for _, sig := range env.Signatures {
				if k, err := tx.Key(ctx, sig.KeyID); err == nil {
					ev.Keys[k.KeyID] = []byte(k.PublicPEM)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := attest.WriteEvidence(&buf, r.RunID, ev); err != nil {
		return err
	}
	if err := writeFileAtomic(opts.out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if ev.Envelope == nil {
		app.infof("stella: warning: run %s is not signed; the evidence cannot be verified (run with --sign-key)", r.RunID)
	}
	out := map[string]any{"runId": r.RunID, "file": opts.out, "bytes": buf.Len(), "signed": ev.Envelope != nil, "findings": r.Findings}
	return app.render(out, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "exported %s (%d findings) to %s (%d bytes)\n", r.RunID, r.Findings, opts.out, buf.Len())
		return err
	})
}

// snapshotManifest returns the manifest file of a stored snapshot, or nil
// when the snapshot has none.
func snapshotManifest(ctx context.Context, tx *store.Tx, id string) ([]byte, error) {
	sn, err := tx.Snapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, f := range sn.Files {
		if f.Path == "manifest.json" {
			return tx.Blob(ctx, f.Digest)
		}
	}
	return nil, nil
}
