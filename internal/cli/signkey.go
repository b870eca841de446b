package cli

import (
	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/governance"
)

// The key flags of every command that signs; the one precedence order is
// governance.ResolveSigningKey's (docs/attestation.md "Where keys come from").

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
	f.StringVar(&s.passEnv, "passphrase-env", "", "name of the environment variable holding an encrypted private key's passphrase (default "+governance.DefaultPassphraseEnv+")")
}

// addAlias adds the deprecated --key spelling of --sign-key.
func (s *signFlags) addAlias(f *pflag.FlagSet) {
	f.StringVar(&s.oldKey, "key", "", "deprecated: use --sign-key")
	f.Lookup("key").Hidden = true
}

// query is the key query of these flags, for governance.ResolveSigningKey
// (nil key when none is given).
func (s *signFlags) query(a *App) governance.SigningKeyQuery {
	q := governance.SigningKeyQuery{SignKey: s.key, OldKey: s.oldKey, KeyEnv: s.keyEnv, Dir: a.keysDir(), PassEnv: s.passEnv,
		Getenv: a.Getenv, Warn: func(m string) { a.infof("stella: warning: %s", m) }}
	// --sign-key set from STELLA_SIGN_KEY or the config file (docs/config.md)
	// may hold PEM text: only a value on the command line shows in ps.
	if s.fs != nil && !s.fs.Changed("sign-key") {
		q.SignKeyFrom = envName("sign-key") + " (or config sign-key)"
	}
	if a.Config != nil {
		q.Config, q.ConfigSigningKey, q.ConfigKey = true, a.Config.GetString("signing.key"), a.Config.GetString("key")
	}
	return q
}
