package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/testenv"
)

// kitSite is a producing site made through the CLI: a key, an imported
// snapshot of the repository's example inputs, policy P-1 (the example
// policy) and a signed run of it, plus its bundle.
type kitSite struct {
	dir, db, kit string
	snapshot     string
	findings     string // findings digest of the run at the producing site
}

// stella runs the CLI in-process and returns its exit code and output.
func stella(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func mustStella(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := stella(t, args...)
	if code != 0 {
		t.Fatalf("stella %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func newKitSite(t *testing.T) *kitSite {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	t.Setenv("STELLA_OFFLINE", "")
	root := testenv.RepoRoot()
	in := filepath.Join(root, "testdata", "inputs")
	s := &kitSite{dir: dir, db: filepath.Join(dir, "a.db"), kit: filepath.Join(dir, "kit.tar.zst")}
	mustStella(t, "key", "generate", "--db", s.db, "--name", "site", "--dir", filepath.Join(dir, "keys"))
	mustStella(t, "snapshot", "create", "-q", "--sbom", filepath.Join(in, "shop.cdx.json"), "--advisories", filepath.Join(in, "osv"),
		"--vex", filepath.Join(in, "shop.openvex.json"), "--kev", filepath.Join(in, "kev.json"), "--epss", filepath.Join(in, "epss.csv"),
		"-o", filepath.Join(dir, "snap"))
	var imported struct{ ID string }
	if err := json.Unmarshal([]byte(mustStella(t, "snapshot", "import", filepath.Join(dir, "snap"), "--db", s.db, "--format", "json")), &imported); err != nil {
		t.Fatal(err)
	}
	s.snapshot = imported.ID

	// Register the example policy as P-1 (what `policy new` does, without
	// the governance statement).
	src, err := os.ReadFile(filepath.Join(root, "testdata", "policies", "example.stella"))
	if err != nil {
		t.Fatal(err)
	}
	comp := dsl.CompileResult("example.stella", src)
	ctx := context.Background()
	st, err := store.Open(ctx, s.db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.AddPolicyVersion(ctx, store.NewVersion{PolicyID: "P-1", Name: comp.Policy.PolicyID, IR: comp.IR, Source: src})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.findings = runFindings(t, mustStella(t, "policy", "run", "P-1@latest", "--snapshot", s.snapshot, "--db", s.db, "--sign-key", s.key(),
		"--as-of", "2024-03-10T00:00:00Z", "--fail-on", "never", "--format", "json"))
	mustStella(t, "bundle", "export", "--db", s.db, "--policy", "P-1@latest", "--snapshot", s.snapshot, "--sign-key", s.key(), "-o", s.kit)
	return s
}

func (s *kitSite) key() string { return filepath.Join(s.dir, "keys", "site.key") }
func (s *kitSite) pub() string { return filepath.Join(s.dir, "keys", "site.pub") }

func runFindings(t *testing.T, out string) string {
	t.Helper()
	var r struct {
		FindingsDigest string `json:"findingsDigest"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.FindingsDigest == "" {
		t.Fatalf("policy run output %q: %v", out, err)
	}
	return r.FindingsDigest
}

// TestBundleCLIExportDeterministic exports the same content twice.
func TestBundleCLIExportDeterministic(t *testing.T) {
	s := newKitSite(t)
	again := filepath.Join(s.dir, "again.tar.zst")
	kit, err := bundle.Open(s.kit, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := mustStella(t, "bundle", "export", "--db", s.db, "--policy", "P-1@1", "--snapshot", s.snapshot[:16], "--sign-key", s.key(), "-o", again, "--format", "json",
		"--time-anchor", kit.Manifest.TimeAnchor)
	if !strings.Contains(out, `"sequenceReused": true`) {
		t.Errorf("second export: %s", out)
	}
	a, _ := os.ReadFile(s.kit)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Fatal("two exports of the same content differ")
	}
}

// TestBundleCLIHostile: a tampered, a truncated and an untrusted bundle
// each exit 6, land in the quarantine, and create no database.
func TestBundleCLIHostile(t *testing.T) {
	s := newKitSite(t)
	good, _ := os.ReadFile(s.kit)
	other := filepath.Join(s.dir, "other")
	mustStella(t, "key", "generate", "--db", filepath.Join(s.dir, "k.db"), "--name", "other", "--dir", other)
	for _, tt := range []struct {
		name  string
		data  []byte
		trust string
		want  string
	}{
		{"truncated", good[:len(good)/2], s.pub(), "truncated"},
		{"untrusted", good, filepath.Join(other, "other.pub"), "no signature by a trusted key"},
		{"stale", good, s.pub(), "stale"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kit := filepath.Join(dir, "kit.tar.zst")
			os.WriteFile(kit, tt.data, 0o644)
			args := []string{"bundle", "import", kit, "--db", filepath.Join(dir, "b.db"), "--trust-root", tt.trust}
			if tt.name == "stale" {
				args = append(args, "--time-anchor", "2999-01-01T00:00:00Z")
			}
			code, _, errs := stella(t, args...)
			if code != 6 || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "quarantined to") {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 || ents[0].Name() != "quarantine" {
				t.Fatalf("the directory holds %v, want only quarantine/", ents)
			}
		})
	}
	// verify and inspect never move or write anything.
	code, _, errs := stella(t, "bundle", "verify", s.kit, "--trust-root", filepath.Join(other, "other.pub"))
	if code != 6 || !strings.Contains(errs, "no signature by a trusted key") {
		t.Fatalf("verify with the wrong key: exit %d %s", code, errs)
	}
	code, out, errs := stella(t, "bundle", "inspect", s.kit, "--format", "json")
	if code != 0 || !strings.Contains(out, `"verified": false`) || !strings.Contains(errs, "UNVERIFIED") {
		t.Fatalf("inspect: exit %d %s %s", code, out, errs)
	}
	if _, err := os.Stat(s.kit); err != nil {
		t.Fatal("verify or inspect moved the bundle")
	}
}
