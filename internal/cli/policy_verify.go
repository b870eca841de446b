package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/evidence"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

type policyVerifyOptions struct {
	keys     []string
	roots    []string
	trust    string
	embedded bool
}

func newPolicyVerifyCmd(app *App) *cobra.Command {
	opts := &policyVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify FILE|evidence.tar (--key PUB… | --trust-root PUB… | a trust config | --insecure-embedded-key)",
		Short: "Verify a signed run manifest or an exported evidence archive, offline",
		Long: `Verify a policy.run@1 DSSE envelope (from policy run --attestation) or an
evidence archive (from policy export).

The signature must be by a key you trust: a --key or --trust-root public key
(a PEM file, or the name or id of a key registered in the database), or a
key of the trust config in force (--trust, else found as the governance
commands find it). Keys merely registered in the database (bundle imports
register the keys they carry) and keys shipped inside an archive are not
trusted. With no trusted key, verification fails with exit 6 ("no trusted
key given"); --insecure-embedded-key checks an evidence archive against the
key it ships instead, which proves it intact but not who signed it (the
output says so, on stdout and stderr).

When the database holds the run of an envelope, its stored record,
findings, explain traces and IR are checked against the attested digests.
An evidence archive needs no database: every entry, the run signature, the
record and every finding, trace and the IR are checked, each input file
against the snapshot manifest, the policy source by compiling it to the
attested IR, and the archive manifest's own signature (policy export
--sign-key) by a trusted key.

Exit 0 when everything verifies, 6 on any mismatch or with no trusted key,
2 for unusable keys.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyVerify(cmd.Context(), app, args[0], opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.keys, "key", nil, "trusted public key: a PEM file, or a registered key name or id (repeatable)")
	f.StringArrayVar(&opts.roots, "trust-root", nil, "trusted public key, as --key (repeatable)")
	f.StringVar(&opts.trust, "trust", "", "trust config whose keys are trusted (default: as the governance commands find it)")
	f.BoolVar(&opts.embedded, "insecure-embedded-key", false, "verify an evidence archive with the key it ships: proves it intact, not who signed it")
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
	// Evidence only: the keys that signed the archive's manifest, the
	// number of input files checked, whether it holds the policy source.
	ManifestSigners []string `json:"manifestSigners,omitempty"`
	Inputs          int      `json:"inputs,omitempty"`
	Source          bool     `json:"source,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	// Policy and IRDigest are what the attested record says ran; Set its
	// members, for a policy set run (envelopes only).
	Policy   string           `json:"policy,omitempty"`
	IRDigest string           `json:"irDigest,omitempty"`
	Set      *store.RecordSet `json:"set,omitempty"`
}

// embeddedWarning is what --insecure-embedded-key prints.
const embeddedWarning = "warning: verified with the key shipped inside %s (--insecure-embedded-key): this proves it intact, not who signed it"

func runPolicyVerify(ctx context.Context, app *App, path string, opts *policyVerifyOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail.New(fail.NotFound, "%s does not exist", path)
		}
		return fail.New(fail.Invalid, "%s: cannot read: %v", path, unwrapPath(err))
	}
	trust, err := app.trustInForce(opts.trust)
	if err != nil {
		return err
	}
	trusted, err := app.trustedVerifyKeys(ctx, append(append([]string(nil), opts.keys...), opts.roots...), trust)
	if err != nil {
		return err
	}
	rep := verifyReport{File: path, Signers: []string{}}
	if isEnvelope(data) {
		rep.Kind = "envelope"
		if opts.embedded {
			return fail.New(fail.Invalid, "--insecure-embedded-key: %s is an envelope, which carries no key; give --key PUB", path)
		}
		if len(trusted) == 0 {
			return fail.New(fail.Integrity, "%s: verification failed: no trusted key given: pass --key PUB or --trust-root PUB, or keep the signer in the trust config", path)
		}
		err = app.verifyEnvelope(ctx, path, data, trusted, &rep)
	} else {
		rep.Kind = "evidence"
		var a *evidence.Archive
		a, err = evidence.Open(path)
		if err == nil && len(trusted) == 0 && opts.embedded {
			trusted, err = attest.EmbeddedKeys(a.Evidence)
			rep.EmbeddedKey = true
		}
		if err == nil {
			var er *attest.EvidenceReport
			if er, err = a.Verify(ctx, trusted); err == nil {
				rep.RunID, rep.Signers, rep.Findings = er.RunID, er.Signers, er.Findings
				rep.ManifestSigners, rep.Inputs, rep.Source, rep.Warnings = er.ManifestSigners, er.Inputs, a.Evidence.Source != nil, er.Warnings
				rep.StoredRun = "not needed"
			}
		}
	}
	if err != nil {
		if fail.Is(err, fail.Integrity) {
			hint := ""
			if len(trusted) == 0 {
				hint = "; pass --key PUB or --trust-root PUB (or --insecure-embedded-key to check only that the archive is intact)"
			}
			return fail.New(fail.Integrity, "%s: verification failed: %v%s", path, err, hint)
		}
		return err
	}
	rep.Verified = true
	if rep.EmbeddedKey {
		app.infof("stella: "+embeddedWarning, path)
	}
	for _, w := range rep.Warnings {
		app.infof("stella: warning: %s: %s", path, w)
	}
	app.Log.Info("verified", "file", path, "runId", rep.RunID, "signers", strings.Join(rep.Signers, ","))
	return app.render(rep, func(w io.Writer) error {
		s := app.styles()
		fmt.Fprintf(w, "%s %s: %s, run %s, %d findings\n", s.paint(s.good, "verified"), rep.Kind, path, rep.RunID, rep.Findings)
		for _, id := range rep.Signers {
			trust := "trusted key"
			if rep.EmbeddedKey {
				trust = "INSECURE: key shipped in the archive, not independently trusted"
			}
			fmt.Fprintf(w, "  signed by %s (%s)\n", id, trust)
		}
		for _, id := range rep.ManifestSigners {
			fmt.Fprintf(w, "  archive manifest signed by %s (every entry: source, IR, source map, inputs, record)\n", id)
		}
		if rep.Kind == "evidence" {
			fmt.Fprintf(w, "  inputs: %d files checked against snapshot manifest; policy source: %s\n", rep.Inputs, map[bool]string{true: "compiles to the attested IR", false: "not in the archive"}[rep.Source])
		}
		if rep.Policy != "" {
			fmt.Fprintf(w, "  policy %s %s\n", rep.Policy, rep.IRDigest)
		}
		if rep.Set != nil {
			for _, m := range rep.Set.Members {
				fmt.Fprintf(w, "    %s\n", m)
			}
		}
		if rep.StoredRun != "" {
			fmt.Fprintf(w, "  stored run: %s\n", rep.StoredRun)
		}
		return nil
	})
}

// trustedVerifyKeys are the keys a verification trusts: refs (--key,
// --trust-root: files, or registered key names or ids) and the keys of the
// trust config in force (nil for none). Keys merely registered in the
// database are not among them.
func (a *App) trustedVerifyKeys(ctx context.Context, refs []string, trust *governance.Trust) ([]*attest.Key, error) {
	var keys []*attest.Key
	if len(refs) > 0 {
		var err error
		if keys, err = governance.TrustedKeys(ctx, refs, a.existingStore(ctx)); err != nil {
			return nil, err
		}
	}
	if trust != nil {
		for _, e := range trust.Entries {
			keys = append(keys, e.Key)
		}
	}
	return keys, nil
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
	v, err := attest.VerifyRun(ctx, env, trusted)
	if err != nil {
		return err
	}
	rep.RunID, rep.Signers = v.RunID, v.Signers
	rep.Findings = len(v.Statement.Subject)/2 - 1
	var rec store.RunRecord
	if err := json.Unmarshal(v.Record, &rec); err != nil {
		return fail.New(fail.Integrity, "%s: the attested record does not decode: %v", path, err)
	}
	rep.Policy, rep.IRDigest, rep.Set = rec.Policy.PolicyID, rec.Policy.IRDigest, rec.Set
	if rec.Policy.Version > 0 {
		rep.Policy = fmt.Sprintf("%s@%d", rec.Policy.PolicyID, rec.Policy.Version)
	}
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

// evidenceFlags are the flags of the commands that read an evidence
// archive in place of a stored run (replay, explain): the keys it is
// verified against first.
type evidenceFlags struct {
	keys []string
}

func (f *evidenceFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.keys, "key", nil, "with an evidence archive: trusted public key to verify it against first (a PEM file, or a registered key name or id; repeatable)")
}

// open reads the evidence archive at path and verifies it as policy verify
// does when a trusted key is given (--key, or the trust config in force);
// without one it warns that the archive is unverified and reports false.
func (f *evidenceFlags) open(ctx context.Context, app *App, path string) (*evidence.Archive, bool, error) {
	a, err := evidence.Open(path)
	if err != nil {
		return nil, false, err
	}
	trust, err := app.trustInForce("")
	if err != nil {
		return nil, false, err
	}
	trusted, err := app.trustedVerifyKeys(ctx, f.keys, trust)
	if err != nil {
		return nil, false, err
	}
	if len(trusted) == 0 {
		app.infof("stella: warning: %s is UNVERIFIED: checked against its own manifest only; give --key PUB to verify who signed it", path)
		return a, false, nil
	}
	if _, err := a.Verify(ctx, trusted); err != nil {
		return nil, false, fail.New(fail.KindOf(err), "%s: verification failed: %v", path, err)
	}
	return a, true, nil
}
