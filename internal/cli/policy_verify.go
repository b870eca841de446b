package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
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
		RunE: runE(app, opts, runPolicyVerify),
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.keys, "key", nil, "trusted public key: a PEM file, or a registered key name or id (repeatable)")
	f.StringArrayVar(&opts.roots, "trust-root", nil, "trusted public key, as --key (repeatable)")
	f.StringVar(&opts.trust, "trust", "", "trust config whose keys are trusted (default: as the governance commands find it)")
	f.BoolVar(&opts.embedded, "insecure-embedded-key", false, "verify an evidence archive with the key it ships: proves it intact, not who signed it")
	return cmd
}

func runPolicyVerify(ctx context.Context, app *App, opts *policyVerifyOptions, args []string) error {
	path := args[0]
	rep, err := app.site().VerifyRun(ctx, path, append(append([]string(nil), opts.keys...), opts.roots...), opts.trust, opts.embedded)
	if err != nil {
		return err
	}
	report.VerifyNotices(app.info(), path, rep)
	app.Log.Info("verified", "file", path, "runId", rep.RunID, "signers", strings.Join(rep.Signers, ","))
	return app.render(rep, func(w io.Writer) error { return report.Verified(w, rep, app.tableOptions()) })
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
func (f *evidenceFlags) open(ctx context.Context, app *App, path string) (*run.Archive, bool, error) {
	a, verified, err := app.site().OpenEvidence(ctx, path, f.keys)
	if err == nil && !verified {
		report.Unverified(app.info(), path)
	}
	return a, verified, err
}
