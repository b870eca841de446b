package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

var update = flag.Bool("update", false, "rewrite the checked-in fuzz seed corpus")

// fuzzKey is a fixed ed25519 key, so that the checked-in seeds carry
// signatures that verify.
func fuzzKey(t testing.TB) *attest.Key {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := attest.ParsePEM("fuzz", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// miniBundle builds a small valid bundle without a store: one policy
// version and its trust root.
func miniBundle(t testing.TB, c string) []byte {
	k := fuzzKey(t)
	pub, _ := k.PublicPEM()
	ir, src := []byte(`{"irVersion":"1"}`), []byte(`policy "x" syntax "stella-dsl@1" {}`)
	dir := PolicyDir("P-1", 1)
	files := []file{{dir + "ir.json", ir}, {dir + "policy.stella", src}, {TrustPath(k.ID), pub}}
	m := Manifest{Format: Format, Producer: Producer{Name: "stella", Version: "fuzz"}, Tenant: "default", Stream: "default", Sequence: 1,
		CreatedAt: "2026-03-01T00:00:00Z", ValidUntil: "2026-04-01T00:00:00Z", TimeAnchor: "2026-03-01T00:00:00Z",
		Policies: []Policy{{PolicyID: "P-1", Version: 1, Name: "x", IRDigest: canon.Digest(ir), SourceDigest: canon.Digest(src),
			CreatedAt: "2026-03-01T00:00:00Z", Dir: dir, Approvals: []Approval{}}},
		Snapshots: []Snapshot{}, Runs: []Run{},
		TrustRoots: []TrustRoot{{KeyID: k.ID, Name: "fuzz", Type: k.Type, Roles: []string{RoleBundleSigner}, Path: TrustPath(k.ID)}},
	}
	for _, f := range sortedFiles(files) {
		m.Entries = append(m.Entries, Entry{Path: f.path, SHA256: canon.Digest(f.data), Size: int64(len(f.data)), MediaType: mediaType(f.path)})
	}
	m.MerkleRoot = MerkleRoot(m.Entries)
	m.BundleID, _ = BundleID(m)
	raw, _ := encodeManifest(m)
	env, err := attest.Sign(context.Background(), PayloadType, raw, k)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := attest.MarshalEnvelope(env)
	var buf bytes.Buffer
	if err := writeArchive(&buf, c, append(files, file{ManifestPath, raw}, file{SignaturePath, sig})); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedFiles(fs []file) []file {
	out := append([]file(nil), fs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].path < out[j-1].path; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// TestMiniBundle keeps the fuzz seeds honest: the mini bundle verifies.
func TestMiniBundle(t *testing.T) {
	for _, c := range []string{Zstd, Gzip} {
		data := miniBundle(t, c)
		b, err := Read(bytes.NewReader(data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Verify(context.Background(), VerifyOptions{Trusted: publicOnly(fuzzKey(t)), TimeAnchor: anchor}); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if *update {
			dir := filepath.Join("testdata", "fuzz", "FuzzRead")
			os.MkdirAll(dir, 0o755)
			seed := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(filepath.Join(dir, "mini-"+c), seed, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzRead feeds arbitrary bytes to the reader and the verifier: they must
// never panic, never accept anything the fixed key did not sign, and fail
// only with integrity errors.
func FuzzRead(f *testing.F) {
	f.Add(miniBundle(f, Zstd))
	f.Add(miniBundle(f, Gzip))
	f.Add([]byte{})
	f.Add(zstdMagic)
	f.Add(gzipMagic)
	trusted := publicOnly(fuzzKey(f))
	lim := Limits{MaxEntries: 64, MaxEntrySize: 1 << 16, MaxTotalSize: 1 << 18}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Read(bytes.NewReader(data), lim)
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("Read: %v (kind %d)", err, fail.KindOf(err))
			}
			return
		}
		b.Files()
		rep, err := b.Verify(context.Background(), VerifyOptions{Trusted: trusted, TimeAnchor: anchor})
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("Verify: %v (kind %d)", err, fail.KindOf(err))
			}
			return
		}
		if len(rep.Signers) != 1 || rep.Signers[0] != trusted[0].ID {
			t.Fatalf("verified without the trusted signer: %+v", rep)
		}
	})
}
