package governance

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/text"
)

// Where a site's governance comes from: the trust config file, the config
// values that override its settings, and the files an approver attaches
// (docs/governance.md "Where it is").

// TrustLookup is what locating the trust config consults.
type TrustLookup struct {
	Flag       string // --trust
	Configured string // config trust_file (env STELLA_TRUST_FILE)
	ConfigFile string // the config file in use; it counts when it has a trust section
	ConfigHome string // $XDG_CONFIG_HOME, else $HOME/.config
}

// TrustFile resolves the trust config file: --trust, config trust_file,
// ./trust.yaml, the config file in use when it has a trust section, else
// <config home>/stella/trust.yaml (which `trust add` creates).
func TrustFile(l TrustLookup) string {
	switch {
	case l.Flag != "":
		return l.Flag
	case l.Configured != "":
		return l.Configured
	}
	if _, err := os.Stat("trust.yaml"); err == nil {
		return "trust.yaml"
	}
	if l.ConfigFile != "" {
		if t, err := LoadTrust(l.ConfigFile); err == nil && t.Declared() {
			return l.ConfigFile
		}
	}
	return filepath.Join(l.ConfigHome, "stella", "trust.yaml")
}

// Override lets the site's config (stella.yaml, env STELLA_GOVERNANCE_*)
// tighten the trust file's settings; get returns a config key's value, ""
// when it is not set. The config is not part of the signed trust config, so
// it may only make the site stricter: a lower quorum or a longer age than
// the trust file's (or the default) is refused (docs/governance.md
// "Signed trust").
func (s *Settings) Override(get func(key string) string) error {
	if v := get("governance.quorum"); v != "" {
		q, err := ParseQuorum(v)
		if err != nil {
			return fail.New(fail.Invalid, "governance.quorum: %v", err)
		}
		if q < s.Quorum {
			return fail.New(fail.Invalid, "governance.quorum %d would lower the trust config's quorum of %d: the config and environment may only raise it; change the trust config itself (stella trust sign)", q, s.Quorum)
		}
		s.Quorum = q
	}
	for _, age := range []struct {
		key string
		dst *time.Duration
	}{{"governance.exception_max_age", &s.ExceptionMaxAge}, {"governance.simulation_max_age", &s.SimulationMaxAge}} {
		if v := get(age.key); v != "" {
			d, err := ParseAge(v)
			if err != nil {
				return fail.New(fail.Invalid, "%s: %v", age.key, err)
			}
			if d > *age.dst {
				return fail.New(fail.Invalid, "%s %s would lengthen the trust config's %s: the config and environment may only shorten it; change the trust config itself (stella trust sign)", age.key, text.Age(d), text.Age(*age.dst))
			}
			*age.dst = d
		}
	}
	return nil
}

// MaxAttachment bounds one approval attachment.
const MaxAttachment = 16 << 20

// ReadAttachments reads the files an approver attaches (--attach), each a
// regular file of at most MaxAttachment bytes, named by its base name.
func ReadAttachments(paths []string) ([]File, error) {
	var out []File
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fail.New(fail.Invalid, "--attach %s: no such file", p)
		case err != nil:
			return nil, fail.New(fail.Invalid, "--attach %s: %v", p, unwrapPathErr(err))
		case !fi.Mode().IsRegular():
			return nil, fail.New(fail.Invalid, "--attach %s: not a regular file", p)
		case fi.Size() > MaxAttachment:
			return nil, fail.New(fail.Invalid, "--attach %s: %d bytes, more than the %d an attachment may have", p, fi.Size(), MaxAttachment)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fail.New(fail.Invalid, "--attach %s: %v", p, unwrapPathErr(err))
		}
		out = append(out, File{Name: filepath.Base(p), Data: data})
	}
	return out, nil
}
