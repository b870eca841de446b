package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
)

// Configuration of command flags (docs/config.md): every flag a command
// takes can also come from the environment variable STELLA_<FLAG> (upper
// case, '-' → '_') and from the config file key <flag>, with precedence
// flag > env > file. A few keys are not flags (settingKeys); a config file
// key that is neither is warned about, naming the nearest valid key.

// settingKeys are the config keys that are not a flag of any command:
// where they are read and what they mean is in docs/config.md.
var settingKeys = []struct{ key, meaning string }{
	{"key", "deprecated alias of signing.key (warns when used)"},
	{"signing.key", "the private key every command that signs uses when --sign-key, --sign-key-env and sign-key are not given: a path, a key name or PEM text (docs/attestation.md)"},
	{"trust_file", "the trust config file (docs/governance.md)"},
	{"trust", "a trust list inside the config file (docs/governance.md)"},
	{"governance.quorum", "raises the trust config's approval quorum (never lowers it: exit 2)"},
	{"governance.exception_max_age", "shortens the longest exception timebox (never lengthens it: exit 2)"},
	{"governance.simulation_max_age", "shortens how old an approval's simulation may be (never lengthens it: exit 2)"},
	{"bundle.trust_roots", "public keys trusted to sign bundles (list), added to --trust-root"},
	{"snapshots.dir", "where snapshots made by snapshot create live"},
	{"keys.dir", "where generated keys live"},
	{"store.retention", "default --older-than of store prune"},
	{"feeds.cache_dir", "the feed cache (docs/feeds.md) when --cache-dir is not given"},
	{"inputs.cache_dir", "the frozen-advisory cache of loose --advisories and cached feeds (docs/performance.md, \"The advisory store\"; default $XDG_CACHE_HOME/stella/frozen); off: freeze every run anew"},
	{"feeds.osv_url", "base URL of the OSV archives <Ecosystem>/all.zip when --osv-url is not given (a mirror)"},
	{"feeds.kev_url", "URL of the KEV catalog when --kev-url is not given (a mirror)"},
	{"feeds.epss_url", "URL of the EPSS scores when --epss-url is not given (a mirror)"},
	{"feeds.nvd_url", "base URL of the NVD CVE 2.0 feeds when --nvd-url is not given (a mirror)"},
}

// notConfigurable are flags never taken from env or file: --config names
// the file itself, --offline is an alias (STELLA_OFFLINE=1 has its own
// meaning), --key is both a governance command's private key and a verify
// command's trusted public key (config key means only the former), and
// --trust names a trust config file while config trust is a trust list
// (config trust_file is the file); --feeds selects cached feeds while
// config feeds is the section of feed settings (feeds.osv_url, …); policy
// new --scaffold is a one-off action, not a setting.
var notConfigurable = map[string]bool{"help": true, "config": true, "offline": true, "key": true, "trust": true, "version": true,
	"feeds": true, "scaffold": true}

// commandKeys are the flags that mean something else in one command than in
// the others: feeds pull --kev and --epss pull a feed, --nvd names years,
// while policy simulate and snapshot create read files under those names.
// There the key is the command's path and the flag — feeds.pull.kev,
// STELLA_FEEDS_PULL_KEV — so one STELLA_KEV is never both.
var commandKeys = map[string]map[string]bool{"feeds pull": {"kev": true, "epss": true, "nvd": true}}

// configKeyOf is the config key of flag fl of cmd: its name, or for
// commandKeys the command path and the name.
func configKeyOf(cmd *cobra.Command, fl *pflag.Flag) string {
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	if commandKeys[path][fl.Name] {
		return strings.ReplaceAll(path, " ", ".") + "." + fl.Name
	}
	return fl.Name
}

// configurable reports whether a flag may come from env and file.
func configurable(fl *pflag.Flag) bool {
	return !fl.Hidden && !notConfigurable[fl.Name]
}

// applyConfig sets every configurable flag of cmd that was not given on
// the command line from the environment, then the config file. It returns
// the notices of the values so set and of the settings the environment or
// the file holds (report.ConfigNotice: those that can change the gate).
func applyConfig(cmd *cobra.Command, v *viper.Viper, getenv func(string) string) ([]string, error) {
	var ferr error
	var notes []string
	source := func(key string) string {
		if getenv(envName(key)) != "" {
			return envName(key)
		}
		f := v.ConfigFileUsed()
		if !filepath.IsAbs(f) && !strings.HasPrefix(f, ".") {
			f = "." + string(filepath.Separator) + f
		}
		return f
	}
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		key := configKeyOf(cmd, fl)
		if ferr != nil || fl.Changed || !configurable(fl) || !v.IsSet(key) {
			return
		}
		if err := setFlag(fl, v.Get(key)); err != nil {
			ferr = fail.New(fail.Invalid, "%s (from %s or the config file): %v", key, envName(key), err)
			return
		}
		if val := fl.Value.String(); val != fl.DefValue {
			if sv, ok := fl.Value.(pflag.SliceValue); ok {
				val = strings.Join(sv.GetSlice(), " ")
			}
			notes = append(notes, report.ConfigNotice(source(key), key, val))
		}
	})
	for _, s := range settingKeys {
		if v.IsSet(s.key) {
			val := "(a trust list)"
			if s.key != "trust" {
				val = fmt.Sprint(v.Get(s.key))
			}
			notes = append(notes, report.ConfigNotice(source(s.key), s.key, val))
		}
	}
	return slices.DeleteFunc(notes, func(n string) bool { return n == "" }), ferr
}

// setFlag sets a flag from a config value: a string (from the environment;
// a list flag takes whitespace-separated values) or a YAML scalar or list.
func setFlag(fl *pflag.Flag, val any) error {
	var list []string
	switch x := val.(type) {
	case []any:
		for _, e := range x {
			list = append(list, fmt.Sprint(e))
		}
	case []string:
		list = x
	case nil:
		return nil
	case time.Time:
		// YAML reads an unquoted timestamp as a time.
		return fl.Value.Set(x.UTC().Format(time.RFC3339Nano))
	default:
		s := fmt.Sprint(x)
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			return sv.Replace(strings.Fields(s))
		}
		if s == "" {
			return nil
		}
		return fl.Value.Set(s)
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.Replace(list)
	}
	if len(list) != 1 {
		return fmt.Errorf("takes one value, not a list of %d", len(list))
	}
	return fl.Value.Set(list[0])
}

// envName is the environment variable of a config key.
func envName(key string) string {
	return "STELLA_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(key))
}

// configKey is one key of the config file.
type configKey struct {
	Key      string
	Env      string
	Usage    string   // the flag's help (of the first command that has it), or the setting's meaning
	Commands []string // command paths that take the flag; nil for settings and global flags
	Global   bool
}

// configKeys lists every valid config key of the command tree, sorted.
func configKeys(root *cobra.Command) []configKey {
	byKey := map[string]*configKey{}
	root.PersistentFlags().VisitAll(func(fl *pflag.Flag) {
		if configurable(fl) {
			byKey[fl.Name] = &configKey{Key: fl.Name, Env: envName(fl.Name), Usage: fl.Usage, Global: true}
		}
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden {
			c.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) {
				if !configurable(fl) {
					return
				}
				key := configKeyOf(c, fl)
				k := byKey[key]
				if k == nil {
					k = &configKey{Key: key, Env: envName(key), Usage: fl.Usage}
					byKey[key] = k
				}
				if !k.Global {
					k.Commands = append(k.Commands, strings.TrimPrefix(c.CommandPath(), root.Name()+" "))
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, s := range settingKeys {
		if byKey[s.key] == nil {
			byKey[s.key] = &configKey{Key: s.key, Env: envName(s.key), Usage: s.meaning}
		}
	}
	out := make([]configKey, 0, len(byKey))
	for _, k := range byKey {
		sort.Strings(k.Commands)
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b configKey) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// warnUnknownKeys warns about config file keys that are neither a flag nor
// a setting, naming the nearest valid key when one is a plausible typo.
func warnUnknownKeys(w io.Writer, file string, v *viper.Viper, root *cobra.Command) {
	valid := map[string]bool{}
	var names []string
	for _, k := range configKeys(root) {
		valid[k.Key] = true
		names = append(names, k.Key)
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		top, _, _ := strings.Cut(k, ".")
		if valid[k] || top == "trust" {
			continue
		}
		unknown = append(unknown, k)
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		hint := ""
		if n, ok := dsl.Nearest(strings.ReplaceAll(k, "_", "-"), names); ok {
			hint = fmt.Sprintf(" (did you mean %q?)", n)
		}
		fmt.Fprintf(w, "stella: warning: config %s: unknown key %q%s\n", file, k, hint)
	}
}
