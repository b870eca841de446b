package cli

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
)

// The one key resolver of every command that signs (docs/attestation.md
// "Where keys come from"). Precedence, first given wins:
//
//	--sign-key PATH|NAME          (--key in governance commands: deprecated;
//	                              env STELLA_SIGN_KEY or config sign-key may hold PEM text)
//	--sign-key-env VAR            PEM text (or a path) in $VAR
//	config signing.key            env STELLA_SIGNING_KEY: path, name or PEM text
//	config key                    env STELLA_KEY: deprecated alias of signing.key
//
// An encrypted key's passphrase is read from the variable --passphrase-env
// names, else STELLA_KEY_PASSPHRASE.

// defaultPassphraseEnv holds an encrypted key's passphrase when
// --passphrase-env is not given.
const defaultPassphraseEnv = "STELLA_KEY_PASSPHRASE"

// signFlags are the key flags of a command that signs.
type signFlags struct {
	fs      *pflag.FlagSet
	key     string // --sign-key
	keyEnv  string // --sign-key-env
	passEnv string // --passphrase-env
	oldKey  string // --key, the governance commands' old spelling
}

// add adds --sign-key (described by usage), --sign-key-env and
// --passphrase-env to f.
func (s *signFlags) add(f *pflag.FlagSet, usage string) {
	s.fs = f
	f.StringVar(&s.key, "sign-key", "", usage)
	f.StringVar(&s.keyEnv, "sign-key-env", "", "name of an environment variable holding the private key's PEM text (instead of --sign-key; the key never appears in the process list)")
	f.StringVar(&s.passEnv, "passphrase-env", "", "name of the environment variable holding an encrypted private key's passphrase (default "+defaultPassphraseEnv+")")
}

// addAlias adds the deprecated --key spelling of --sign-key.
func (s *signFlags) addAlias(f *pflag.FlagSet) {
	f.StringVar(&s.oldKey, "key", "", "deprecated: use --sign-key")
	f.Lookup("key").Hidden = true
}

// signingKey resolves the key to sign with; nil when none is given.
func (a *App) signingKey(s *signFlags) (*attest.Key, error) {
	// --sign-key set from STELLA_SIGN_KEY or the config file (docs/config.md)
	// may hold PEM text: only a value on the command line shows in ps.
	signKey := attest.Source{Name: "--sign-key", Value: s.key}
	if s.fs != nil && !s.fs.Changed("sign-key") {
		signKey = attest.Source{Name: envName("sign-key") + " (or config sign-key)", Value: s.key, ByValue: true}
	}
	srcs := []attest.Source{
		signKey,
		{Name: "--key", Value: s.oldKey, Instead: "--sign-key (--key names a trusted public key)"},
	}
	if s.keyEnv != "" {
		v := a.Getenv(s.keyEnv)
		if v == "" {
			return nil, fail.New(fail.Invalid, "--sign-key-env %s: the environment variable is empty or unset", s.keyEnv)
		}
		srcs = append(srcs, attest.Source{Name: "--sign-key-env " + s.keyEnv, Value: v, ByValue: true})
	}
	if a.Config != nil {
		srcs = append(srcs,
			attest.Source{Name: "config signing.key (STELLA_SIGNING_KEY)", Value: a.Config.GetString("signing.key"), ByValue: true},
			attest.Source{Name: "config key (STELLA_KEY)", Value: a.Config.GetString("key"), ByValue: true, Instead: "signing.key (STELLA_SIGNING_KEY)"})
	}
	passEnv := s.passEnv
	if passEnv == "" {
		passEnv = defaultPassphraseEnv
	}
	r := &attest.Resolver{
		Dir: a.keysDir(),
		Passphrase: func() ([]byte, error) {
			p := a.Getenv(passEnv)
			if p == "" && s.passEnv != "" {
				return nil, fail.New(fail.Invalid, "--passphrase-env %s: the environment variable is empty or unset", passEnv)
			}
			return []byte(p), nil
		},
		PassphraseHint: "put its passphrase in an environment variable and name it with --passphrase-env VAR (default " + defaultPassphraseEnv + ")",
		Warn:           func(m string) { a.infof("stella: warning: %s", m) },
	}
	k, err := r.Resolve(srcs...)
	if errors.Is(err, attest.ErrNoKey) {
		return nil, nil
	}
	return k, err
}
