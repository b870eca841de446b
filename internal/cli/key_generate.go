package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type keyGenerateOptions struct {
	req governance.KeyRequest
}

func newKeyGenerateCmd(app *App) *cobra.Command {
	opts := &keyGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate --name NAME [--type ed25519|ecdsa-p256] [--dir DIR] [--passphrase-env VAR]",
		Short: "Generate a signing key pair and register its public key",
		Long: `Generate a key pair. The private key is written as a PKCS #8 PEM file
NAME.key with mode 0600 — encrypted (PBES2: scrypt, AES-256-CBC) with the
passphrase in the environment variable --passphrase-env names — the public
key as NAME.pub (PKIX PEM), both in --dir (default: keys/ beside the
database). The public key is registered in the database under NAME; the
private key never enters it. Existing files are refused; --force replaces
them (a symlink is replaced, never followed). Commands that sign read an
encrypted key's passphrase from --passphrase-env VAR (default
STELLA_KEY_PASSPHRASE).

The key id is "sha256:" + the SHA-256 of the DER SubjectPublicKeyInfo, i.e.
  openssl pkey -pubin -in NAME.pub -outform DER | sha256sum`,
		Args: noArgs,
		RunE: runE(app, opts, runKeyGenerate),
	}
	f := cmd.Flags()
	f.StringVar(&opts.req.Name, "name", "", "key name (letters, digits, '.', '_', '-')")
	f.StringVar(&opts.req.Type, "type", governance.DefaultKeyType, "key type: ed25519 or ecdsa-p256")
	f.StringVar(&opts.req.Dir, "dir", "", "directory for NAME.key and NAME.pub (default: keys/ beside the database)")
	f.BoolVar(&opts.req.Force, "force", false, "replace existing key files (a symlink is replaced, never followed)")
	f.StringVar(&opts.req.PassEnv, "passphrase-env", "", "encrypt the private key with the passphrase in this environment variable")
	cmd.MarkFlagRequired("name")
	return cmd
}

func runKeyGenerate(ctx context.Context, app *App, opts *keyGenerateOptions, _ []string) error {
	req := opts.req
	req.Getenv = app.Getenv
	if req.Dir == "" {
		req.Dir = app.keysDir()
	}
	out, err := governance.GenerateKey(ctx, app.openStore, req)
	if err != nil {
		return err
	}
	app.Log.Info("key generated", "keyId", out.KeyID, "name", out.Name, "type", out.Type)
	return app.render(out, func(w io.Writer) error { return report.KeyGenerated(w, out, app.tableOptions()) })
}
