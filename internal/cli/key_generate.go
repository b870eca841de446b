package cli

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
)

type keyGenerateOptions struct {
	name    string
	typ     string
	dir     string
	force   bool
	passEnv string
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
	f.StringVar(&opts.name, "name", "", "key name (letters, digits, '.', '_', '-')")
	f.StringVar(&opts.typ, "type", governance.DefaultKeyType, "key type: ed25519 or ecdsa-p256")
	f.StringVar(&opts.dir, "dir", "", "directory for NAME.key and NAME.pub (default: keys/ beside the database)")
	f.BoolVar(&opts.force, "force", false, "replace existing key files (a symlink is replaced, never followed)")
	f.StringVar(&opts.passEnv, "passphrase-env", "", "encrypt the private key with the passphrase in this environment variable")
	cmd.MarkFlagRequired("name")
	return cmd
}

func runKeyGenerate(ctx context.Context, app *App, opts *keyGenerateOptions, _ []string) error {
	req := governance.KeyRequest{Name: opts.name, Type: opts.typ, Dir: opts.dir, Force: opts.force}
	if req.Dir == "" {
		req.Dir = app.keysDir()
	}
	if opts.passEnv != "" {
		pass := app.Getenv(opts.passEnv)
		if pass == "" {
			return fail.New(fail.Invalid, "--passphrase-env %s: the environment variable is empty or unset", opts.passEnv)
		}
		req.Passphrase = []byte(pass)
	}
	out, err := governance.GenerateKey(ctx, app.openStore, req)
	if err != nil {
		return err
	}
	app.Log.Info("key generated", "keyId", out.KeyID, "name", out.Name, "type", out.Type)
	return app.render(out, func(w io.Writer) error { return report.KeyGenerated(w, out, app.tableOptions()) })
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
