package governance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
)

// TestSiteTrustEdits: the trust commands' sequence — trust add starts a
// missing file, the first admin signs the change that adds it (the root
// of trust), from then on a change needs an admin's key, trust rm needs
// the file, and trust sign a key.
func TestSiteTrustEdits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keyFile := func(name string, k *attest.Key, private bool) string {
		pem, err := k.PublicPEM()
		if private {
			pem, err = k.PrivatePEM()
		}
		p := filepath.Join(dir, name)
		if err == nil {
			err = os.WriteFile(p, pem, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var admin, alice *attest.Key
	for _, k := range []**attest.Key{&admin, &alice} {
		var err error
		if *k, err = attest.Generate(attest.Ed25519); err != nil {
			t.Fatal(err)
		}
	}
	adminKey, adminPub, alicePub := keyFile("admin.key", admin, true), keyFile("admin.pub", admin, false), keyFile("alice.pub", alice, false)
	var loud []string
	s := &Site{DB: filepath.Join(dir, "s.db"), Setting: func(string) string { return "" }, Loud: func(m string) { loud = append(loud, m) }}
	file := filepath.Join(dir, "trust.yaml")
	unsigned := TrustEditRequest{File: file}
	signed := TrustEditRequest{File: file, Signer: &SigningKeyQuery{SignKey: adminKey, Getenv: func(string) string { return "" }}}

	if _, err := s.RemoveTrust(ctx, unsigned, "alice"); err == nil {
		t.Fatal("trust rm without a trust config file succeeded")
	}
	if _, err := s.AddTrust(ctx, unsigned, TrustAdd{Key: alicePub, Principal: "alice", Scopes: []string{"policy:nope"}}); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("an unknown scope: %v", err)
	}
	edit, err := s.AddTrust(ctx, unsigned, TrustAdd{Key: alicePub, Principal: "alice", Scopes: []string{"policy:author,policy:run"}})
	if err != nil || edit.Signer != nil || len(edit.Views()) != 1 || edit.Views()[0].Principal != "alice" {
		t.Fatalf("unsigned add to a new file: %+v %v", edit, err)
	}
	edit, err = s.AddTrust(ctx, signed, TrustAdd{Key: adminPub, Principal: "root", Scopes: []string{ScopeTrustAdmin}})
	if err != nil || !edit.Root || edit.Signer == nil || edit.Signer.Principal != "root" {
		t.Fatalf("the first admin signing its own addition: %+v %v", edit, err)
	}
	if _, err := s.RemoveTrust(ctx, unsigned, "alice"); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("an unsigned change once the config names an admin: %v", err)
	}
	edit, err = s.RemoveTrust(ctx, signed, "alice")
	if err != nil || len(edit.Views()) != 1 || edit.Action != ActionTrustRemoved {
		t.Fatalf("signed rm: %+v %v", edit, err)
	}
	if _, err := s.SignTrust(ctx, unsigned); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("trust sign without a key: %v", err)
	}
	if edit, err = s.SignTrust(ctx, signed); err != nil || edit.Action != ActionTrustSigned {
		t.Fatalf("trust sign: %+v %v", edit, err)
	}
	if len(loud) != 0 {
		t.Errorf("warnings of edits made with stella: %q", loud)
	}
}
