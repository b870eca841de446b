package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
)

func pemOf(t *testing.T, k *attest.Key) string {
	t.Helper()
	b, err := k.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

func TestParseTrust(t *testing.T) {
	k, _ := attest.Generate(attest.Ed25519)
	other, _ := attest.Generate(attest.ECDSAP256)
	pem := indent(pemOf(t, k), "      ")
	entry := func(extra string) string {
		return "trust:\n  - principal: alice\n    key: " + k.ID + "\n    scopes: [policy:author, findings:read]\n" + extra + "    public_key: |\n" + pem + "\n"
	}
	good := "# site trust\n" + entry("") + "governance:\n  quorum: 2\n  exception_max_age: 90d\n  simulation_max_age: 12h\nother: kept\n"
	tr, err := ParseTrust("trust.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := tr.Lookup(k.ID)
	if !ok || e.Principal != "alice" || !e.Has(ScopePolicyAuthor) || e.Has(ScopePolicyApprove) || e.Key.ID != k.ID {
		t.Fatalf("entry %+v", e)
	}
	if s := tr.Settings; s.Quorum != 2 || s.ExceptionMaxAge != 90*24*time.Hour || s.SimulationMaxAge != 12*time.Hour {
		t.Fatalf("settings %+v", s)
	}
	if tr, err := ParseTrust("empty.yaml", nil); err != nil || len(tr.Entries) != 0 || tr.Settings.Quorum != 1 {
		t.Fatalf("empty: %+v %v", tr, err)
	}

	for _, c := range []struct{ name, doc, want string }{
		{"not a mapping", "- a\n", "trust.yaml:1:1: a trust config is a mapping"},
		{"bad yaml", "trust: [\n", "invalid YAML"},
		{"trust not a list", "trust: alice\n", "trust.yaml:1:8: trust must be a list"},
		{"unknown field", entry("    role: admin\n"), `trust.yaml:5:5: unknown field "role"`},
		{"unknown scope", strings.Replace(entry(""), "findings:read", "findings:write", 1), `trust.yaml:4:29: unknown scope "findings:write"`},
		{"no principal", strings.Replace(entry(""), "principal: alice", "principal: ''", 1), "trusted key without a principal"},
		{"bad principal", strings.Replace(entry(""), "principal: alice", "principal: al ice", 1), `principal "al ice"`},
		{"wrong key id", strings.Replace(entry(""), k.ID, other.ID, 1), "trust.yaml:3:10: key " + other.ID + " does not match its public_key"},
		{"duplicate", entry("") + strings.TrimPrefix(entry(""), "trust:\n"), "is listed twice (first at line 2)"},
		{"private key", strings.Replace(entry(""), pem, indent(mustPriv(t), "      "), 1), "holds a private key"},
		{"bad quorum", "governance:\n  quorum: 0\n", "trust.yaml:2:11: governance.quorum: quorum \"0\""},
		{"bad age", "governance:\n  exception_max_age: forever\n", "governance.exception_max_age"},
		{"unknown setting", "governance:\n  quorom: 2\n", `unknown governance setting "quorom"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTrust("trust.yaml", []byte(c.doc))
			if fail.KindOf(err) != fail.Invalid || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func mustPriv(t *testing.T) string {
	k, _ := attest.Generate(attest.Ed25519)
	b, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTrustEdit checks that add and rm keep the rest of the file: comments,
// other keys and the order of entries.
func TestTrustEdit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stella.yaml")
	orig := "# stella config\nformat: json # always\ngovernance:\n  quorum: 2\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrust(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := attest.Generate(attest.Ed25519)
	b, _ := attest.Generate(attest.ECDSAP256)
	if _, err := tr.Add("alice", a, []string{ScopePolicyAuthor, ScopeFindingsRead, ScopePolicyAuthor}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Add("bob", b, []string{ScopePolicyReview}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Add("bob2", b, []string{ScopePolicyReview}); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("adding a trusted key again: %v", err)
	}
	if _, err := tr.Add("carol", a, nil); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("no scopes: %v", err)
	}
	if _, err := tr.Add("carol", a, []string{"root"}); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("unknown scope: %v", err)
	}
	if err := tr.Save(); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{"# stella config", "format: json # always", "quorum: 2", "principal: alice", "scopes: ['findings:read', 'policy:author']", "public_key: |"} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("saved config lacks %q:\n%s", want, text)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode changed to %v", fi.Mode())
	}
	back, err := LoadTrust(path)
	if err != nil || len(back.Entries) != 2 || back.Entries[0].Principal != "alice" || back.Entries[1].KeyID != b.ID || back.Settings.Quorum != 2 {
		t.Fatalf("read back: %+v %v", back, err)
	}
	removed, err := back.Remove("alice")
	if err != nil || len(removed) != 1 || removed[0].KeyID != a.ID {
		t.Fatalf("remove: %+v %v", removed, err)
	}
	if _, err := back.Remove("alice"); fail.KindOf(err) != fail.NotFound {
		t.Fatalf("remove again: %v", err)
	}
	if err := back.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := LoadTrust(path)
	if err != nil || len(again.Entries) != 1 || again.Entries[0].Principal != "bob" {
		t.Fatalf("after rm: %+v %v", again, err)
	}
	if _, err := LoadTrust(filepath.Join(dir, "none.yaml")); fail.KindOf(err) != fail.NotFound {
		t.Fatalf("missing file: %v", err)
	}
}
