package bundle

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

func TestCarriedName(t *testing.T) {
	const id = "sha256:0123456789abcdef0123"
	for _, tc := range []struct{ in, want string }{
		{"site", "bundle:site"},
		{"alice@example.com", "bundle:alice@example.com"},
		{"bundle:site", "bundle:site"}, // re-exported by a site that imported it
		{"", "bundle:key-0123456789ab"},
		{"sha256:ffff", "bundle:key-0123456789ab"},
		{"bundle:bundle:x", "bundle:key-0123456789ab"},
		{"two words", "bundle:key-0123456789ab"},
		{"line\nbreak", "bundle:key-0123456789ab"},
		{"../keys/site", "bundle:key-0123456789ab"},
		{strings.Repeat("x", 65), "bundle:key-0123456789ab"},
	} {
		if got := carriedName(TrustRoot{KeyID: id, Name: tc.in}); got != tc.want {
			t.Errorf("carriedName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestImportKeyNames: the keys a bundle carries are known at the importing
// site only under names it cannot give its own keys, so none of its own
// names resolves to one — and a name of its own it already has keeps its
// key, the carried one taking a suffixed name.
func TestImportKeyNames(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	ex := exportSite(t, a, ExportOptions{})
	if len(ex.Manifest.TrustRoots) == 0 {
		t.Fatal("the kit carries no keys")
	}
	b := openStore(t, filepath.Join(t.TempDir(), "b.db"), "")
	other, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := other.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	taken := carriedName(ex.Manifest.TrustRoots[0])
	if err := b.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.PutKey(ctx, store.Key{KeyID: other.ID, Name: taken, Type: other.Type, PublicPEM: string(pub)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	bun, err := Read(bytes.NewReader(ex.Data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, b, bun, trusting(a.key)); err != nil {
		t.Fatal(err)
	}
	b.View(ctx, func(tx *store.Tx) error {
		for i, tr := range ex.Manifest.TrustRoots {
			if _, err := tx.Key(ctx, tr.Name); !fail.Is(err, fail.NotFound) {
				t.Errorf("the producer's name %q resolves here: %v", tr.Name, err)
			}
			k, err := tx.Key(ctx, tr.KeyID)
			want := carriedName(tr)
			if i == 0 {
				want += "-" + strings.TrimPrefix(tr.KeyID, "sha256:")[:12]
			}
			if err != nil || k.Name != want {
				t.Errorf("key %s known as %q (%v), want %q", tr.KeyID, k.Name, err, want)
			}
		}
		if k, err := tx.Key(ctx, taken); err != nil || k.KeyID != other.ID {
			t.Errorf("%q is now %s (%v), want the site's %s", taken, k.KeyID, err, other.ID)
		}
		return nil
	})
}
