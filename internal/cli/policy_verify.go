package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

type policyVerifyOptions struct {
	keys []string
}

func newPolicyVerifyCmd(app *App) *cobra.Command {
	opts := &policyVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify FILE|evidence.tar [--key PUB…]",
		Short: "Verify a signed run manifest or an exported evidence archive, offline",
		Long: `Verify a policy.run@1 DSSE envelope (from policy run --attestation) or an
evidence archive (from policy export).

An envelope must be signed by one of the --key public keys (files, or names
or ids of keys registered in the database; with no --key, every registered
key is trusted). When the database holds the run, its stored record,
findings, explain traces and IR are checked against the attested digests.

An evidence archive needs no database: every entry, the signature, the
record and every finding, trace and the IR are checked. With no --key, the
signature is checked with the public key shipped in the archive, which
proves the archive is intact but not who signed it (the output says so).

Exit 0 when everything verifies, 6 on any mismatch, 2 for unusable keys.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyVerify(cmd.Context(), app, args[0], opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.keys, "key", nil, "trusted public key: a PEM file, or a registered key name or id (repeatable)")
	return cmd
}

// verifyReport is the output of `policy verify`.
type verifyReport struct {
	File        string   `json:"file"`
	Kind        string   `json:"kind"` // envelope or evidence
	RunID       string   `json:"runId"`
	Verified    bool     `json:"verified"`
	Signers     []string `json:"signers"`
	EmbeddedKey bool     `json:"embeddedKey,omitempty"`
	Findings    int      `json:"findings"`
	StoredRun   string   `json:"storedRun"` // checked, absent, or no database
}

func runPolicyVerify(ctx context.Context, app *App, path string, opts *policyVerifyOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail.New(fail.NotFound, "%s does not exist", path)
		}
		return fail.New(fail.Invalid, "%s: cannot read: %v", path, unwrapPath(err))
	}
	trusted, err := app.loadTrustedKeys(ctx, opts.keys)
	if err != nil {
		return err
	}
	rep := verifyReport{File: path, Signers: []string{}}
	if isEnvelope(data) {
		rep.Kind = "envelope"
		err = app.verifyEnvelope(ctx, path, data, trusted, &rep)
	} else {
		rep.Kind = "evidence"
		var ev *attest.Evidence
		ev, _, err = attest.ReadEvidence(path, bytes.NewReader(data))
		if err == nil {
			var er *attest.EvidenceReport
			if er, err = attest.VerifyEvidence(ctx, ev, trusted); err == nil {
				rep.RunID, rep.Signers, rep.EmbeddedKey, rep.Findings = er.RunID, er.Signers, er.EmbeddedKey, er.Findings
				rep.StoredRun = "not needed"
			}
		}
	}
	if err != nil {
		if fail.Is(err, fail.Integrity) {
			return fail.New(fail.Integrity, "%s: verification failed: %v", path, err)
		}
		return err
	}
	rep.Verified = true
	app.Log.Info("verified", "file", path, "runId", rep.RunID, "signers", strings.Join(rep.Signers, ","))
	return app.render(rep, func(w io.Writer) error {
		s := app.styles()
		fmt.Fprintf(w, "%s %s: %s, run %s, %d findings\n", s.paint(s.good, "verified"), rep.Kind, path, rep.RunID, rep.Findings)
		for _, id := range rep.Signers {
			trust := "trusted key"
			if rep.EmbeddedKey {
				trust = "key shipped in the archive — not independently trusted; pass --key to pin it"
			}
			fmt.Fprintf(w, "  signed by %s (%s)\n", id, trust)
		}
		if rep.StoredRun != "" {
			fmt.Fprintf(w, "  stored run: %s\n", rep.StoredRun)
		}
		return nil
	})
}

func isEnvelope(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// verifyEnvelope checks a policy.run@1 envelope and, when the database holds
// the run, the stored outputs against it.
func (a *App) verifyEnvelope(ctx context.Context, path string, data []byte, trusted []*attest.Key, rep *verifyReport) error {
	env, err := attest.ParseEnvelope(path, data)
	if err != nil {
		return err
	}
	var st *store.Store
	if fileExists(a.Global.DB) {
		if st, err = a.openStore(ctx, true); err != nil {
			return err
		}
		defer st.Close()
	}
	if len(trusted) == 0 {
		if st == nil {
			return fail.New(fail.Invalid, "no trusted keys: give --key PUB (there is no database with registered keys)")
		}
		err := st.View(ctx, func(tx *store.Tx) error {
			keys, err := tx.Keys(ctx)
			for _, k := range keys {
				pk, perr := attest.ParsePEM("key "+k.Name, []byte(k.PublicPEM))
				if perr != nil {
					return perr
				}
				trusted = append(trusted, pk)
			}
			return err
		})
		if err != nil {
			return err
		}
		if len(trusted) == 0 {
			return fail.New(fail.Invalid, "no trusted keys: give --key PUB (the database has no registered keys)")
		}
	}
	v, err := attest.VerifyRun(ctx, env, trusted)
	if err != nil {
		return err
	}
	rep.RunID, rep.Signers = v.RunID, v.Signers
	rep.Findings = len(v.Statement.Subject)/2 - 1
	if st == nil {
		rep.StoredRun = "no database"
		return nil
	}
	return st.View(ctx, func(tx *store.Tx) error {
		r, err := tx.Run(ctx, v.RunID)
		if fail.Is(err, fail.NotFound) {
			rep.StoredRun = "not in this database"
			return nil
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(r.Record, v.Record) {
			return fail.New(fail.Integrity, "the stored record of %s differs from the attested one", r.RunID)
		}
		out, err := tx.RunOutputs(ctx, r.RunID)
		if err != nil {
			return err
		}
		if rep.Findings, err = v.CheckOutputs(out.Findings, out.Explains); err != nil {
			return fmt.Errorf("stored run: %w", err)
		}
		ir, err := tx.RunIR(ctx, r)
		if err != nil {
			return err
		}
		if err := v.CheckIR(ir); err != nil {
			return err
		}
		rep.StoredRun = "checked: record, findings, explains and IR match"
		return nil
	})
}
