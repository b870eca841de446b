package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyGenerate(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.name, "name", "", "key name (letters, digits, '.', '_', '-')")
	f.StringVar(&opts.typ, "type", attest.Ed25519, "key type: ed25519 or ecdsa-p256")
	f.StringVar(&opts.dir, "dir", "", "directory for NAME.key and NAME.pub (default: keys/ beside the database)")
	f.BoolVar(&opts.force, "force", false, "replace existing key files (a symlink is replaced, never followed)")
	f.StringVar(&opts.passEnv, "passphrase-env", "", "encrypt the private key with the passphrase in this environment variable")
	cmd.MarkFlagRequired("name")
	return cmd
}

type keyOut struct {
	KeyID      string `json:"keyId"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	PrivateKey string `json:"privateKeyFile,omitempty"`
	PublicKey  string `json:"publicKeyFile,omitempty"`
	Encrypted  bool   `json:"encrypted,omitempty"`
	CreatedAt  string `json:"createdAt,omitempty"`
}

func runKeyGenerate(ctx context.Context, app *App, opts *keyGenerateOptions) error {
	if err := validName("key", opts.name); err != nil {
		return err
	}
	k, err := attest.Generate(opts.typ)
	if err != nil {
		return err
	}
	var priv []byte
	if opts.passEnv != "" {
		pass := app.Getenv(opts.passEnv)
		if pass == "" {
			return fail.New(fail.Invalid, "--passphrase-env %s: the environment variable is empty or unset", opts.passEnv)
		}
		priv, err = k.EncryptedPEM([]byte(pass))
	} else {
		priv, err = k.PrivatePEM()
	}
	if err != nil {
		return err
	}
	pub, err := k.PublicPEM()
	if err != nil {
		return err
	}
	dir := opts.dir
	if dir == "" {
		dir = app.keysDir()
	}
	privPath := filepath.Join(dir, opts.name+".key")
	pubPath := filepath.Join(dir, opts.name+".pub")

	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// The files are written inside the transaction that registers the key,
	// so a failure to write them leaves nothing registered.
	err = st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PutKey(ctx, store.Key{KeyID: k.ID, Name: opts.name, Type: k.Type, PublicPEM: string(pub)}); err != nil {
			return err
		}
		if _, err := tx.Append(ctx, "key.generated", "cli", k.ID, map[string]string{"keyId": k.ID, "name": opts.name, "type": k.Type}); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail.New(fail.Internal, "key directory %s: %v", dir, unwrapPath(err))
		}
		if err := attest.WriteKeyFile(privPath, priv, 0o600, opts.force); err != nil {
			return err
		}
		if err := attest.WriteKeyFile(pubPath, pub, 0o644, opts.force); err != nil {
			os.Remove(privPath)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	app.Log.Info("key generated", "keyId", k.ID, "name", opts.name, "type", k.Type)
	out := keyOut{KeyID: k.ID, Name: opts.name, Type: k.Type, PrivateKey: privPath, PublicKey: pubPath, Encrypted: opts.passEnv != ""}
	return app.render(out, func(w io.Writer) error {
		enc := ""
		if out.Encrypted {
			enc = ", encrypted"
		}
		_, err := fmt.Fprintf(w, "generated %s key %q\n  key id   %s\n  private  %s (mode 0600%s)\n  public   %s\n", k.Type, opts.name, k.ID, privPath, enc, pubPath)
		return err
	})
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
