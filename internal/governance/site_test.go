package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

func TestTrustFile(t *testing.T) {
	dir := t.TempDir()
	withTrust := filepath.Join(dir, "stella.yaml")
	if err := os.WriteFile(withTrust, []byte("trust: []\ngovernance:\n  quorum: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte("format: json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	tests := []struct {
		name  string
		l     TrustLookup
		local bool // ./trust.yaml exists
		want  string
	}{
		{"flag first", TrustLookup{Flag: "f.yaml", Configured: "c.yaml", ConfigFile: withTrust, ConfigHome: home}, true, "f.yaml"},
		{"then trust_file", TrustLookup{Configured: "c.yaml", ConfigFile: withTrust, ConfigHome: home}, true, "c.yaml"},
		{"then ./trust.yaml", TrustLookup{ConfigFile: withTrust, ConfigHome: home}, true, "trust.yaml"},
		{"then a config file with a trust section", TrustLookup{ConfigFile: withTrust, ConfigHome: home}, false, withTrust},
		{"not one without", TrustLookup{ConfigFile: plain, ConfigHome: home}, false, filepath.Join(home, "stella", "trust.yaml")},
		{"else the config home", TrustLookup{ConfigHome: home}, false, filepath.Join(home, "stella", "trust.yaml")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cwd := t.TempDir()
			t.Chdir(cwd)
			if tc.local {
				if err := os.WriteFile("trust.yaml", nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := TrustFile(tc.l); got != tc.want {
				t.Errorf("TrustFile = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSettingsOverride(t *testing.T) {
	signed := Settings{Quorum: 3, ExceptionMaxAge: 30 * 24 * time.Hour, SimulationMaxAge: 12 * time.Hour}
	tests := []struct {
		name string
		from Settings // the trust file's settings; zero: the defaults
		cfg  map[string]string
		want Settings
		err  string
	}{
		{"nothing set", Settings{}, nil, DefaultSettings(), ""},
		{"quorum", Settings{}, map[string]string{"governance.quorum": "2"}, Settings{Quorum: 2, ExceptionMaxAge: DefaultExceptionMaxAge, SimulationMaxAge: DefaultSimulationMaxAge}, ""},
		{"ages", Settings{}, map[string]string{"governance.exception_max_age": "30d", "governance.simulation_max_age": "2h"},
			Settings{Quorum: 1, ExceptionMaxAge: 30 * 24 * time.Hour, SimulationMaxAge: 2 * time.Hour}, ""},
		{"bad quorum", Settings{}, map[string]string{"governance.quorum": "0"}, Settings{}, "governance.quorum: quorum \"0\""},
		{"bad age", Settings{}, map[string]string{"governance.exception_max_age": "forever"}, Settings{}, "governance.exception_max_age: \"forever\""},
		// The config is not signed: it may tighten the trust file, never loosen it.
		{"same quorum", signed, map[string]string{"governance.quorum": "3"}, signed, ""},
		{"lower quorum", signed, map[string]string{"governance.quorum": "2"}, Settings{}, "governance.quorum 2 would lower the trust config's quorum of 3"},
		{"quorum below default", Settings{}, map[string]string{"governance.quorum": "1"}, DefaultSettings(), ""},
		{"longer exception age", signed, map[string]string{"governance.exception_max_age": "31d"}, Settings{}, "governance.exception_max_age 31d would lengthen the trust config's 30d"},
		{"longer default exception age", Settings{}, map[string]string{"governance.exception_max_age": "366d"}, Settings{}, "would lengthen the trust config's 365d"},
		{"longer simulation age", signed, map[string]string{"governance.simulation_max_age": "13h"}, Settings{}, "governance.simulation_max_age 13h would lengthen the trust config's 12h"},
		{"shorter ages", signed, map[string]string{"governance.exception_max_age": "1d", "governance.simulation_max_age": "1h"},
			Settings{Quorum: 3, ExceptionMaxAge: 24 * time.Hour, SimulationMaxAge: time.Hour}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.from
			if s == (Settings{}) {
				s = DefaultSettings()
			}
			err := s.Override(func(k string) string { return tc.cfg[k] })
			if tc.err != "" {
				if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want Invalid containing %q", err, tc.err)
				}
				return
			}
			if err != nil || s != tc.want {
				t.Fatalf("Override = %+v, %v; want %+v", s, err, tc.want)
			}
		})
	}
}

func TestReadAttachments(t *testing.T) {
	dir := t.TempDir()
	note := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(note, []byte("reviewed"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, MaxAttachment+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		err   string
	}{
		{"none", nil, ""},
		{"a file", []string{note}, ""},
		{"missing", []string{filepath.Join(dir, "nope")}, "no such file"},
		{"directory", []string{dir}, "not a regular file"},
		{"too big", []string{big}, "more than the 16777216 an attachment may have"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := ReadAttachments(tc.paths)
			if tc.err != "" {
				if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want Invalid containing %q", err, tc.err)
				}
				return
			}
			if err != nil || len(fs) != len(tc.paths) {
				t.Fatalf("ReadAttachments = %v, %v", fs, err)
			}
			for i, f := range fs {
				if f.Name != filepath.Base(tc.paths[i]) {
					t.Errorf("name %q", f.Name)
				}
			}
		})
	}
}

// TestSite covers what an invocation finds in force: no trust config is
// none (nil), a --trust naming a missing file is an error, a missing file
// is created empty where a command may create it, the configured settings
// apply, and a database that does not exist is neither created nor
// consulted.
func TestSite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	home := filepath.Join(dir, "home")
	set := map[string]string{}
	s := &Site{DB: filepath.Join(dir, "stella.db"), Tenant: "default", Lookup: TrustLookup{ConfigHome: home},
		Setting: func(k string) string { return set[k] }, Loud: func(m string) { t.Errorf("loud: %s", m) }}
	ctx := t.Context()
	if tr, err := s.InForce(ctx, ""); tr != nil || err != nil {
		t.Fatalf("InForce with no trust config = %v, %v; want nil, nil", tr, err)
	}
	if _, err := s.InForce(ctx, "missing.yaml"); !fail.Is(err, fail.NotFound) {
		t.Fatalf("InForce(--trust missing.yaml) = %v, want not found", err)
	}
	set["governance.quorum"] = "2"
	tr, err := s.LoadTrust(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, "stella", "trust.yaml"); tr.Path != want || tr.Settings.Quorum != 2 {
		t.Errorf("LoadTrust(create) = %s quorum %d, want %s quorum 2", tr.Path, tr.Settings.Quorum, want)
	}
	if err := os.WriteFile("trust.yaml", []byte("trust: []\ngovernance:\n  quorum: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BundleApprovals(ctx, ""); err == nil || !strings.Contains(err.Error(), "lower") {
		t.Errorf("a configured quorum below the trust config's: %v, want refused", err)
	}
	if _, err := os.Stat(s.DB); !os.IsNotExist(err) {
		t.Errorf("the database was created: %v", err)
	}
	if err := s.RecordIRMismatch(ctx, &IRMismatch{}); err != nil {
		t.Errorf("RecordIRMismatch with no database: %v", err)
	}
}
