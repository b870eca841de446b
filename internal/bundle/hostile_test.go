package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// member is one raw tar member of a hand-made archive.
type member struct {
	hdr  tar.Header
	data []byte
}

func reg(p string, data []byte) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644, Size: int64(len(data))}, data: data}
}

// rawArchive writes members as they are (any order, any type, any name)
// into a zstd-compressed tar.
func rawArchive(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	tw := tar.NewWriter(zw)
	writeMembers(t, tw, ms)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func writeMembers(t testing.TB, tw *tar.Writer, ms []member) {
	t.Helper()
	for _, m := range ms {
		h := m.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
}

// headerOnly writes ms, then the header of an entry name of size bytes
// and nothing more: a reader that read the body would report truncation.
func headerOnly(t testing.TB, ms []member, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	tw := tar.NewWriter(zw)
	writeMembers(t, tw, ms)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// withHeader returns ms with edit applied to every header.
func withHeader(ms []member, edit func(*tar.Header)) []member {
	out := make([]member, len(ms))
	for i, m := range ms {
		out[i] = m
		edit(&out[i].hdr)
	}
	return out
}

// padGarbage writes ms as a canonical tar, puts a non-zero byte into the
// padding after the first member whose size is not a multiple of 512, and
// compresses it: the header checksums stay valid.
func padGarbage(t testing.TB, ms []member) []byte {
	t.Helper()
	var raw bytes.Buffer
	entries := make([]canon.TarEntry, len(ms))
	for i, m := range ms {
		entries[i] = canon.TarEntry{Name: m.hdr.Name, Data: m.data}
	}
	if err := canon.WriteTar(&raw, entries); err != nil {
		t.Fatal(err)
	}
	b := raw.Bytes()
	off := 0
	for _, m := range ms {
		if len(m.hdr.Name) > 100 {
			t.Skip("long names need PAX headers")
		}
		off += 512 + len(m.data)
		if len(m.data)%512 != 0 {
			b[off] = 'x'
			break
		}
	}
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// members returns the members of a good bundle, sorted by path.
func members(t testing.TB, data []byte) []member {
	t.Helper()
	b, err := Read(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var ms []member
	for _, e := range b.Files() {
		d, _ := b.File(e.Path)
		ms = append(ms, reg(e.Path, d))
	}
	return ms
}

// resign replaces the manifest of ms: entries and Merkle root recomputed
// from the members, then edit(manifest), then the bundle id, signed by key —
// a bundle whose signature is valid, to show that the other checks hold on
// their own.
func resign(t testing.TB, ms []member, key *attest.Key, edit func(*Manifest)) []member {
	t.Helper()
	var m *Manifest
	var rest []member
	for _, x := range ms {
		switch x.hdr.Name {
		case ManifestPath:
			var err error
			if m, err = decodeManifest(x.data); err != nil {
				t.Fatal(err)
			}
		case SignaturePath:
		default:
			rest = append(rest, x)
		}
	}
	m.Entries = []Entry{}
	for _, x := range rest {
		m.Entries = append(m.Entries, Entry{Path: x.hdr.Name, SHA256: canon.Digest(x.data), Size: int64(len(x.data)), MediaType: mediaType(x.hdr.Name)})
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
	m.MerkleRoot = MerkleRoot(m.Entries)
	if edit != nil {
		edit(m) // after the Merkle root: an edited entry or root must be caught
	}
	m.BundleID, _ = BundleID(*m)
	raw, err := encodeManifest(*m)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), PayloadType, raw, key)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := attest.MarshalEnvelope(env)
	sort.Slice(rest, func(i, j int) bool { return rest[i].hdr.Name < rest[j].hdr.Name })
	return append([]member{reg(SignaturePath, sig), reg(ManifestPath, raw)}, rest...)
}

func replace(ms []member, name string, data []byte) []member {
	out := append([]member(nil), ms...)
	for i := range out {
		if out[i].hdr.Name == name {
			out[i] = reg(name, data)
		}
	}
	return out
}

func without(ms []member, name string) []member {
	var out []member
	for _, m := range ms {
		if m.hdr.Name != name {
			out = append(out, m)
		}
	}
	return out
}

func withoutPrefix(ms []member, prefix string) []member {
	var out []member
	for _, m := range ms {
		if !strings.HasPrefix(m.hdr.Name, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// firstUnder returns the first member whose path starts with prefix.
func firstUnder(t testing.TB, ms []member, prefix string) member {
	for _, m := range ms {
		if strings.HasPrefix(m.hdr.Name, prefix) {
			return m
		}
	}
	t.Fatalf("no member under %s", prefix)
	return member{}
}

// tree lists every file under dir with its digest.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	return out
}

// TestHostile imports each hostile bundle of issue 7 into a directory
// holding only the bundle (and, for the replay, a database that already
// imported a newer bundle): each must fail with fail.Integrity, and the
// only change to the directory must be the bundle moving into the
// quarantine beside a reason file.
func TestHostile(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	good := exportSite(t, a, ExportOptions{})
	ms := members(t, good.Data)
	other, _ := attest.Generate(attest.Ed25519)
	ecdsa, _ := attest.Generate(attest.ECDSAP256)
	snapFile := firstUnder(t, ms, "snapshots/")
	sameSize := bytes.Repeat([]byte{' '}, len(snapFile.data))
	// A bundle with other content, signed by the trusted key.
	second := members(t, exportSite(t, a, ExportOptions{Policies: []string{"P-1@latest"}}).Data)
	older := exportSite(t, a, ExportOptions{Sequence: 3, ValidFor: 31 * 24 * time.Hour})
	newer := exportSite(t, a, ExportOptions{Sequence: 5})

	small := Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20}
	// A checkpoint claiming a later head, signed by a key the site does not
	// trust; one of another tenant, signed by the trusted key.
	forged, _ := SignCheckpoint(context.Background(), store.Checkpoint{Schema: store.CheckpointSchema, Tenant: "default", Seq: 99, EventHash: canon.Digest(nil)}, other)
	foreign, _ := SignCheckpoint(context.Background(), store.Checkpoint{Schema: store.CheckpointSchema, Tenant: "other", Seq: 1, EventHash: canon.Digest(nil)}, a.key)
	bomb := func(n int, size int) []member {
		var out []member
		for i := range n {
			out = append(out, reg("snapshots/bomb/"+strings.Repeat("x", 3)+string(rune('a'+i%26))+string(rune('a'+i/26)), make([]byte, size)))
		}
		return out
	}
	truncated := func(data []byte, keep int) []byte { return append([]byte(nil), data[:keep]...) }
	gz := func(data []byte) []byte {
		var buf bytes.Buffer
		b, _ := Read(bytes.NewReader(data), Limits{})
		var files []file
		for _, e := range b.Files() {
			d, _ := b.File(e.Path)
			files = append(files, file{e.Path, d})
		}
		if err := writeArchive(&buf, Gzip, files); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}

	cases := []struct {
		name   string
		data   []byte
		lim    Limits
		anchor time.Time
		prior  []byte // imported first, into the same database
		want   string // in the error
	}{
		{name: "dotdot", data: rawArchive(t, append(ms, reg("policies/../../etc/cron.d/x", []byte("x")))), want: "unsafe path"},
		{name: "dotdot-signed", data: rawArchive(t, resign(t, append(ms, reg("../escape", []byte("x"))), a.key, nil)), want: "unsafe path"},
		{name: "absolute", data: rawArchive(t, append(ms, reg("/etc/passwd", []byte("x")))), want: "unsafe path"},
		{name: "backslash", data: rawArchive(t, append(ms, reg(`policies\..\x`, []byte("x")))), want: "unsafe path"},
		{name: "symlink", data: rawArchive(t, append(ms, member{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "policies/link", Linkname: "/etc/passwd", Mode: 0o777}})), want: "links are not allowed"},
		{name: "hardlink", data: rawArchive(t, append(ms, member{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "policies/hard", Linkname: ManifestPath}})), want: "links are not allowed"},
		{name: "directory", data: rawArchive(t, append([]member{{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "policies/", Mode: 0o755}}}, ms...)), want: "only regular files"},
		{name: "duplicate", data: rawArchive(t, append(ms, reg(snapFile.hdr.Name, sameSize))), want: "duplicate path"},
		{name: "duplicate-manifest", data: rawArchive(t, append(ms, reg(ManifestPath, []byte("{}")))), want: "duplicate path"},
		{name: "digest-mismatch", data: rawArchive(t, replace(ms, snapFile.hdr.Name, sameSize)), want: "does not match the manifest"},
		{name: "missing-entry", data: rawArchive(t, without(ms, snapFile.hdr.Name)), want: "not in the archive"},
		{name: "extra-entry", data: rawArchive(t, append(ms, reg("policies/P-1/1/extra.txt", []byte("x")))), want: "not listed"},
		{name: "extra-entry-in-snapshot-signed", data: rawArchive(t, resign(t, append(ms, reg(SnapshotDir(a.snapshot)+"extra.json", []byte("{}"))), a.key, func(m *Manifest) { m.Snapshots[0].Files++ })), want: "not a file of the snapshot"},
		{name: "run-without-its-snapshot-signed", data: rawArchive(t, resign(t, withoutPrefix(ms, "snapshots/"), a.key, func(m *Manifest) { m.Snapshots = []Snapshot{} })), want: "not in the bundle"},
		{name: "entry-too-big", data: rawArchive(t, append(ms, reg("snapshots/bomb/zeros", make([]byte, 2<<20)))), lim: small, want: "exceeds the entry size limit"},
		{name: "bomb-total", data: rawArchive(t, bomb(8, 1<<20)), lim: small, want: "exceed the total size limit"},
		{name: "bomb-entries", data: rawArchive(t, bomb(30, 1)), lim: Limits{MaxEntries: 20}, want: "more than 20 entries"},
		{name: "untrusted-signer", data: rawArchive(t, resign(t, ms, other, nil)), want: "no signature by a trusted key"},
		{name: "untrusted-ecdsa", data: rawArchive(t, resign(t, ms, ecdsa, nil)), want: "no signature by a trusted key"},
		{name: "unsigned", data: rawArchive(t, without(ms, SignaturePath)), want: "unsigned"},
		{name: "signature-over-other-manifest", data: rawArchive(t, replace(ms, SignaturePath, firstUnder(t, second, SignaturePath).data)), want: "over a different manifest"},
		{name: "manifest-edited", data: rawArchive(t, replace(ms, ManifestPath, bytes.Replace(firstUnder(t, ms, ManifestPath).data, []byte(`"sequence":1`), []byte(`"sequence":9`), 1))), want: "over a different manifest"},
		{name: "entry-size-signed", data: rawArchive(t, resign(t, ms, a.key, func(m *Manifest) { m.Entries[0].Size++ })), want: "size"},
		{name: "merkle-root-signed", data: rawArchive(t, resign(t, ms, a.key, func(m *Manifest) { m.MerkleRoot = canon.Digest([]byte("other")) })), want: "merkleRoot sha256:"},
		{name: "out-of-order", data: rawArchive(t, append([]member{ms[1], ms[0]}, ms[2:]...)), want: "not in path order"},
		{name: "size-lie", data: rawArchive(t, replace(ms, snapFile.hdr.Name, append(sameSize, ' '))), want: "refused before reading it"},
		{name: "unlisted-body-never-read", data: headerOnly(t, ms, "zz/bomb", 1<<30), want: "not listed in manifest.json: refused before reading it"},
		{name: "checkpoint-untrusted-signer", data: rawArchive(t, resign(t, replace(ms, CheckpointPath, forged), a.key, nil)), want: "no signature by a trusted key"},
		{name: "checkpoint-other-tenant", data: rawArchive(t, resign(t, replace(ms, CheckpointPath, foreign), a.key, nil)), want: `a checkpoint of tenant "other"`},
		{name: "setuid-mode", data: rawArchive(t, withHeader(ms, func(h *tar.Header) { h.Mode = 0o4755 })), want: "not in canonical form"},
		{name: "mtime", data: rawArchive(t, withHeader(ms, func(h *tar.Header) { h.ModTime = time.Unix(1700000000, 0) })), want: "not in canonical form"},
		{name: "uid-gid", data: rawArchive(t, withHeader(ms, func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 })), want: "not in canonical form"},
		{name: "uname", data: rawArchive(t, withHeader(ms, func(h *tar.Header) { h.Uname, h.Gname = "mallory", "staff" })), want: "not in canonical form"},
		{name: "padding-garbage", data: padGarbage(t, ms), want: "not in canonical form"},
		{name: "stale", data: good.Data, anchor: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), want: "stale"},
		{name: "not-yet-valid", data: good.Data, anchor: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), want: "not yet valid"},
		{name: "replayed-sequence", data: older.Data, prior: newer.Data, want: "not greater than 5"},
		{name: "truncated-half", data: truncated(good.Data, len(good.Data)/2), want: "truncated"},
		{name: "truncated-end", data: truncated(good.Data, len(good.Data)-3), want: "truncated"},
		{name: "truncated-header", data: truncated(good.Data, 3), want: "not a bundle"},
		{name: "truncated-gzip", data: truncated(gz(good.Data), len(gz(good.Data))-5), want: "truncated"},
		{name: "trailing-garbage", data: append(gz(good.Data), "junk"...), want: "after the end"},
		{name: "empty", data: nil, want: "empty file"},
		{name: "not-compressed", data: []byte("manifest.json"), want: "not a bundle"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "b.db")
			open := func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }
			o := trusting(a.key)
			if !tt.anchor.IsZero() {
				o.Verify.TimeAnchor = tt.anchor
			}
			var before int
			if tt.prior != nil {
				p := writeFile(t, dir, "prior.tar.zst", tt.prior)
				if _, err := ImportFile(ctx, p, Limits{}, open, o, ""); err != nil {
					t.Fatal(err)
				}
				os.Remove(p)
				before = auditCount(t, db)
			}
			path := writeFile(t, dir, "kit.tar.zst", tt.data)
			was := tree(t, dir)
			qdir := filepath.Join(dir, "quarantine")
			_, err := ImportFile(ctx, path, tt.lim, open, o, qdir)
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("err = %v (kind %d), want an integrity failure", err, fail.KindOf(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			sum := sha256.Sum256(tt.data)
			q := "quarantine/" + hex.EncodeToString(sum[:])[:16] + "/"
			now := tree(t, dir)
			if now[q+"kit.tar.zst"] != was["kit.tar.zst"] {
				t.Errorf("the bundle is not in %s: %v", q, now)
			}
			if _, ok := now[q+"reason.txt"]; !ok {
				t.Errorf("no reason file in %s", q)
			}
			reason, _ := os.ReadFile(filepath.Join(dir, q, "reason.txt"))
			if !strings.Contains(string(reason), "exit: 6") || !strings.Contains(string(reason), tt.want) {
				t.Errorf("reason.txt:\n%s", reason)
			}
			for p, d := range now {
				if strings.HasPrefix(p, "quarantine/") || strings.HasPrefix(p, "b.db") {
					continue
				}
				if was[p] != d {
					t.Errorf("%s was written", p)
				}
			}
			if tt.prior == nil {
				if _, err := os.Stat(db); err == nil {
					t.Error("a database was created for a bundle that failed verification")
				}
			} else if n := auditCount(t, db); n != before {
				t.Errorf("the refused import changed the audit log: %d events, was %d", n, before)
			}
		})
	}
}

func auditCount(t testing.TB, db string) int {
	t.Helper()
	st := openStore(t, db, "")
	defer st.Close()
	var n int
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = tx.VerifyChain(context.Background())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTruncatedEverywhere cuts a bundle at many points: every prefix must
// be refused as an integrity failure, never accepted and never a panic.
func TestTruncatedEverywhere(t *testing.T) {
	a := newSite(t, nil)
	good := exportSite(t, a, ExportOptions{}).Data
	step := max(1, len(good)/97)
	for n := 0; n < len(good); n += step {
		b, err := Read(bytes.NewReader(good[:n]), Limits{})
		if err == nil {
			_, err = b.Verify(context.Background(), VerifyOptions{Trusted: publicOnly(a.key), TimeAnchor: anchor})
		}
		if !fail.Is(err, fail.Integrity) {
			t.Fatalf("prefix of %d/%d bytes: err %v, want an integrity failure", n, len(good), err)
		}
	}
}

// TestBombStopsEarly: a stream that decompresses to far more than it
// should after the end of the tar (64 MiB of zeros) is abandoned after the
// padding limit, and capReader stops any read past its limit.
func TestBombStopsEarly(t *testing.T) {
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644, Size: 1})
	tw.Write([]byte("a"))
	tw.Close()
	gw.Write(make([]byte, 64<<20))
	gw.Close()
	_, err := Read(bytes.NewReader(buf.Bytes()), Limits{})
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "bytes of padding") {
		t.Fatalf("err %v", err)
	}
	for _, tt := range []struct {
		n, limit int64
		fail     bool
	}{{10, 10, false}, {11, 10, true}, {0, 0, false}, {1 << 20, 1000, true}} {
		cr := &capReader{r: bytes.NewReader(make([]byte, tt.n)), n: tt.limit}
		_, err := io.Copy(io.Discard, cr)
		if (err != nil) != tt.fail {
			t.Errorf("capReader(%d bytes, limit %d): err %v", tt.n, tt.limit, err)
		}
	}
}
