package governance

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
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
			d, err := text.ParseAge(v)
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

// Site is what governs one invocation: the tenant's database, where its
// trust config is found (Lookup; each command's --trust is the flag of
// every call) and the governance settings the configuration sets (Setting:
// a governance.* value, "" when unset; they may only tighten the trust
// config's). The CLI fills it from its flags and configuration.
type Site struct {
	DB, Tenant string
	Lookup     TrustLookup
	Setting    func(key string) string
	// AllowUnsignedTrust uses a trust config that is not the version the
	// audit chain recorded (docs/governance.md "Signed trust"), loudly.
	AllowUnsignedTrust bool
	// Loud says what --quiet must not silence: a trust config accepted
	// unsigned.
	Loud func(msg string)
}

// Open opens the site's database; with mustExist a missing one is not
// found instead of created.
func (s *Site) Open(ctx context.Context, mustExist bool) (*store.Store, error) {
	return store.Open(ctx, s.DB, s.Tenant, store.Options{MustExist: mustExist})
}

// TrustFile is the trust config file: flag (--trust), else as TrustFile
// finds it.
func (s *Site) TrustFile(flag string) string {
	l := s.Lookup
	l.Flag = flag
	return TrustFile(l)
}

// LoadTrust reads the trust config (TrustFile) with the configured
// settings applied, and compares it with the version the database's audit
// chain last recorded (CheckTrustFile): a file edited outside stella is
// refused, exit 6, unless AllowUnsignedTrust. With create, a missing file
// gives an empty config that Save creates.
func (s *Site) LoadTrust(ctx context.Context, flag string, create bool) (*Trust, error) {
	return s.loadTrust(ctx, nil, flag, create)
}

// loadTrust is LoadTrust comparing with st, the site's database; nil opens
// it once the file is read (a database that does not exist has no recorded
// version to compare with).
func (s *Site) loadTrust(ctx context.Context, st *store.Store, flag string, create bool) (*Trust, error) {
	path := s.TrustFile(flag)
	t, err := LoadTrust(path)
	if fail.Is(err, fail.NotFound) && create {
		t, err = NewTrust(path), nil
	}
	if err != nil {
		return nil, err
	}
	if err := t.Settings.Override(s.Setting); err != nil {
		return nil, err
	}
	if st == nil {
		if st, err = s.openIfExists(ctx); st == nil || err != nil {
			return t, err
		}
		defer st.Close()
	}
	warning, err := CheckTrustFile(ctx, st, t, s.AllowUnsignedTrust)
	if warning != "" {
		s.Loud(warning)
	}
	return t, err
}

// openIfExists opens the site's database, nil when it does not exist.
func (s *Site) openIfExists(ctx context.Context) (*store.Store, error) {
	if _, err := os.Stat(s.DB); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		// Unreadable is not absent: a governed database must not pass
		// for no database (RunTrust, CheckRunTime).
		return nil, fail.New(fail.Invalid, "database %s: %v", s.DB, err)
	}
	return s.Open(ctx, true)
}

// InForce is the trust config that governs this invocation: the file flag
// or the configured trust_file names (which must exist), else the first one
// LoadTrust finds; nil when there is none.
func (s *Site) InForce(ctx context.Context, flag string) (*Trust, error) {
	return s.inForce(ctx, nil, flag)
}

// inForce is InForce comparing with st (nil: as loadTrust).
func (s *Site) inForce(ctx context.Context, st *store.Store, flag string) (*Trust, error) {
	t, err := s.loadTrust(ctx, st, flag, false)
	if flag == "" && s.Lookup.Configured == "" && fail.Is(err, fail.NotFound) {
		return nil, nil
	}
	return t, err
}

// RunTrust is the trust config in force for a command that records a run
// (policy run in every form, policy simulate --record): as InForce finds
// it, but a database whose audit chain records a trust config is a
// governed site wherever the command starts, so finding none is refused
// (RequireTrust: guard trust, exit 3) instead of running ungoverned
// (docs/governance.md "Runs at a governed site"). The database is opened
// once; one that does not exist records nothing.
func (s *Site) RunTrust(ctx context.Context, flag string) (*Trust, error) {
	st, err := s.openIfExists(ctx)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.InForce(ctx, flag)
	}
	defer st.Close()
	t, err := s.inForce(ctx, st, flag)
	if t != nil || err != nil {
		return t, err
	}
	return nil, RequireTrust(ctx, st, s.DB)
}

// CheckRunTime is CheckRunTime on the site's database, opened once; one
// that does not exist has recorded no run.
func (s *Site) CheckRunTime(ctx context.Context, trust *Trust, at, now time.Time, asOf string, shadow bool) error {
	if !clockChecked(trust, shadow) {
		return nil
	}
	st, err := s.openIfExists(ctx)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	return CheckRunTime(ctx, st, trust, at, now, asOf, shadow)
}

// Registry opens the database and the trust config (a missing one trusts
// nobody). With mustExist, a missing database is not found instead of
// created. The caller closes the store.
func (s *Site) Registry(ctx context.Context, flag string, mustExist bool) (*Registry, error) {
	trust, err := s.LoadTrust(ctx, flag, true)
	if err != nil {
		return nil, err
	}
	st, err := s.Open(ctx, mustExist)
	if err != nil {
		return nil, err
	}
	return &Registry{Store: st, Trust: trust, Settings: trust.Settings}, nil
}

// BundleApprovals judges the approvals bundles carry by this site's trust
// config (flag, else found as LoadTrust finds it), or an empty one when
// there is none: it then trusts nobody, and carried approvals do not count.
func (s *Site) BundleApprovals(ctx context.Context, flag string) (*BundleApprovals, error) {
	trust, err := s.LoadTrust(ctx, flag, true)
	if err != nil {
		return nil, err
	}
	return &BundleApprovals{Trust: trust, Settings: trust.Settings, Actor: "cli"}, nil
}

// RecordIRMismatch records the policy.ir_hash_mismatch audit event when a
// command failed (err) on an IR that fails its digest (docs/governance.md,
// "IR digests"), after the command's own transaction rolled back; nothing
// without such an error or a database.
func (s *Site) RecordIRMismatch(ctx context.Context, err error) error {
	var m *IRMismatch
	if !errors.As(err, &m) || s.DB == "" {
		return nil
	}
	st, err := s.openIfExists(ctx)
	if st == nil || err != nil {
		return err
	}
	defer st.Close()
	return RecordIRMismatch(ctx, st, "cli", m)
}
