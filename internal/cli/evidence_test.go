package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
)

// TestEvidenceTamper rewrites an exported evidence archive so that its own
// manifest still matches (re-signed by the site key, as an exporter that
// lies could) and checks each deeper check refuses it with exit 6.
func TestEvidenceTamper(t *testing.T) {
	s := newKitSite(t)
	path := filepath.Join(s.dir, "run.tar")
	mustStella(t, "policy", "export", "--run", "latest", "--db", s.db, "--sign-key", s.key(), "-o", path)
	key, err := attest.LoadFile(s.key())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := attest.LoadFile(s.pub())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good, err := run.OpenArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Verify(ctx, []*attest.Key{pub}); err != nil {
		t.Fatal(err)
	}
	other, _ := attest.Generate(attest.Ed25519)
	for _, tc := range []struct {
		name string
		edit func(ev *attest.Evidence)
		key  *attest.Key
		want string
	}{
		{"source", func(ev *attest.Evidence) {
			ev.Source = bytes.Replace(ev.Source, []byte(`status := "blocked"`), []byte(`status := "warned"`), 1)
		}, key, "policy/policy.stella compiles to IR"},
		{"source-garbage", func(ev *attest.Evidence) { ev.Source = []byte("policy {") }, key, "policy/policy.stella does not compile"},
		{"input", func(ev *attest.Evidence) {
			for p := range ev.Inputs {
				ev.Inputs[p] = append(ev.Inputs[p], ' ')
				break
			}
		}, key, "the snapshot manifest says"},
		{"extra-input", func(ev *attest.Evidence) { ev.Inputs["extra.json"] = []byte("{}") }, key, "not a file of the snapshot"},
		{"missing-input", func(ev *attest.Evidence) {
			for p := range ev.Inputs {
				delete(ev.Inputs, p)
				break
			}
		}, key, "missing from the archive"},
		{"resigned", func(ev *attest.Evidence) {}, other, "manifest.dsse.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := run.OpenArchive(path)
			ev := a.Evidence
			tc.edit(ev)
			var buf bytes.Buffer
			if err := attest.WriteSignedEvidence(ctx, &buf, a.RunID, ev, tc.key); err != nil {
				t.Fatal(err)
			}
			b, err := run.ReadArchive(tc.name, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Verify(ctx, []*attest.Key{pub})
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify: %v, want an integrity error with %q", err, tc.want)
			}
			file := filepath.Join(s.dir, tc.name+".tar")
			os.WriteFile(file, buf.Bytes(), 0o644)
			if code, _, errs := stella(t, "policy", "replay", file, "--key", s.pub()); code != 6 || !strings.Contains(errs, tc.want) {
				t.Fatalf("replay: exit %d, %s", code, errs)
			}
		})
	}
}
