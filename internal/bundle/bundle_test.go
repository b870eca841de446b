package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// anchor is a time inside the validity of every test bundle.
var anchor = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func exportSite(t testing.TB, s *site, o ExportOptions) *Exported {
	t.Helper()
	if o.Key == nil {
		o.Key = s.key
	}
	if o.Policies == nil && o.Snapshots == nil && o.Runs == nil {
		o.Policies, o.Snapshots, o.Runs = []string{"P-1@latest"}, []string{s.snapshot}, []string{s.run}
	}
	ex, err := Export(context.Background(), s.st, o)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func trusting(keys ...*attest.Key) ImportOptions {
	return ImportOptions{Verify: VerifyOptions{Trusted: publicOnly(keys...), TimeAnchor: anchor}}
}

// publicOnly drops the private halves: verification never needs them.
func publicOnly(keys ...*attest.Key) []*attest.Key {
	var out []*attest.Key
	for _, k := range keys {
		pem, err := k.PublicPEM()
		if err != nil {
			panic(err)
		}
		pub, err := attest.ParsePEM("pub", pem)
		if err != nil {
			panic(err)
		}
		out = append(out, pub)
	}
	return out
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportDeterministic(t *testing.T) {
	s := newSite(t, nil)
	for _, c := range []string{Zstd, Gzip} {
		a := exportSite(t, s, ExportOptions{Compression: c})
		b := exportSite(t, s, ExportOptions{Compression: c})
		if !bytes.Equal(a.Data, b.Data) {
			t.Fatalf("%s: two exports of the same content differ", c)
		}
		if !b.Reused {
			t.Errorf("%s: the second export did not reuse the first one's sequence", c)
		}
	}
	// Argument order and duplicates do not matter either.
	c := exportSite(t, s, ExportOptions{Runs: []string{s.run, s.run}, Snapshots: []string{s.snapshot[:20]}, Policies: []string{"P-1@1", "P-1@latest"}})
	if d := exportSite(t, s, ExportOptions{}); !bytes.Equal(c.Data, d.Data) {
		t.Fatal("the same content selected differently gives different bytes")
	}
	// One export event: every export above has the same content (the
	// compression is not part of it), so all reused the first sequence.
	var events []store.Event
	s.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		events, err = tx.Events(context.Background(), store.EventFilter{Type: "bundle.exported"})
		return err
	})
	if len(events) != 1 {
		var seqs []string
		for _, e := range events {
			seqs = append(seqs, string(e.Payload))
		}
		t.Fatalf("%d bundle.exported events, want 1:\n%s", len(events), strings.Join(seqs, "\n"))
	}
}

func TestExportSequence(t *testing.T) {
	s := newSite(t, nil)
	first := exportSite(t, s, ExportOptions{})
	if first.Manifest.Sequence != 1 {
		t.Fatalf("first sequence %d, want 1", first.Manifest.Sequence)
	}
	other := exportSite(t, s, ExportOptions{Policies: []string{"P-1@latest"}})
	if other.Manifest.Sequence != 2 || other.Reused {
		t.Fatalf("new content: sequence %d reused=%v, want 2 false", other.Manifest.Sequence, other.Reused)
	}
	again := exportSite(t, s, ExportOptions{})
	if again.Manifest.Sequence != 1 || !bytes.Equal(again.Data, first.Data) {
		t.Fatalf("re-export of the first content: sequence %d, want 1 and the same bytes", again.Manifest.Sequence)
	}
	given := exportSite(t, s, ExportOptions{Sequence: 7})
	if given.Manifest.Sequence != 7 || given.Manifest.BundleID == first.Manifest.BundleID {
		t.Fatalf("--sequence 7 gave %d (id %s)", given.Manifest.Sequence, given.Manifest.BundleID)
	}
	if next := exportSite(t, s, ExportOptions{Snapshots: []string{s.snapshot}}); next.Manifest.Sequence != 8 {
		t.Fatalf("after 7: sequence %d, want 8", next.Manifest.Sequence)
	}
	// A number already used by other content is refused.
	if _, err := Export(context.Background(), s.st, ExportOptions{Key: s.key, Policies: []string{"P-1@latest"}, Sequence: 1}); !fail.Is(err, fail.Invalid) {
		t.Fatalf("reusing sequence 1 for other content: %v", err)
	}
}

func TestExportValidity(t *testing.T) {
	s := newSite(t, nil)
	m := exportSite(t, s, ExportOptions{}).Manifest
	// The newest time in the contents: the run completed a second after
	// the store clock.
	if m.CreatedAt != "2026-03-01T12:00:01Z" || m.ValidUntil != "2026-03-31T12:00:01Z" {
		t.Fatalf("default validity %s … %s", m.CreatedAt, m.ValidUntil)
	}
	m = exportSite(t, s, ExportOptions{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), ValidFor: 48 * time.Hour}).Manifest
	if m.CreatedAt != "2026-01-02T03:04:05Z" || m.ValidUntil != "2026-01-04T03:04:05Z" {
		t.Fatalf("given validity %s … %s", m.CreatedAt, m.ValidUntil)
	}
	for _, o := range []ExportOptions{
		{ValidFor: -time.Hour},
		{CreatedAt: anchor, ValidUntil: anchor.Add(-time.Hour)},
		{Stream: "Bad Stream"},
		{Sequence: -1},
		{Policies: []string{"policy.stella"}},
	} {
		o.Key = s.key
		if len(o.Policies) == 0 {
			o.Policies = []string{"P-1@latest"}
		}
		if _, err := Export(context.Background(), s.st, o); !fail.Is(err, fail.Invalid) {
			t.Errorf("%+v: err %v, want Invalid", o, err)
		}
	}
	if _, err := Export(context.Background(), s.st, ExportOptions{Key: s.key, Policies: []string{"P-9"}}); !fail.Is(err, fail.NotFound) {
		t.Errorf("unknown policy: err %v, want NotFound", err)
	}
}

func TestManifestShape(t *testing.T) {
	s := newSite(t, nil)
	ex := exportSite(t, s, ExportOptions{})
	b, err := Read(bytes.NewReader(ex.Data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// The archive is sorted with the two manifest files first.
	files := b.Files()
	if files[0].Path != SignaturePath || files[1].Path != ManifestPath {
		t.Fatalf("archive starts with %s, %s", files[0].Path, files[1].Path)
	}
	for i := 1; i < len(files); i++ {
		if files[i-1].Path >= files[i].Path {
			t.Fatalf("archive not sorted at %s", files[i].Path)
		}
	}
	m := b.Manifest
	raw, _ := b.File(ManifestPath)
	if c, _ := canon.Transform(raw); !bytes.Equal(c, raw) {
		t.Fatal("manifest.json is not canonical")
	}
	if len(m.Policies) != 1 || len(m.Snapshots) != 1 || len(m.Runs) != 1 || len(m.TrustRoots) != 1 {
		t.Fatalf("manifest lists %d policies, %d snapshots, %d runs, %d trust roots", len(m.Policies), len(m.Snapshots), len(m.Runs), len(m.TrustRoots))
	}
	if tr := m.TrustRoots[0]; tr.KeyID != s.key.ID || tr.Name != "producer" || !reflect.DeepEqual(tr.Roles, []string{RoleBundleSigner, RoleRunSigner}) {
		t.Fatalf("trust root %+v", tr)
	}
	if len(m.Entries) != len(files)-2 {
		t.Fatalf("%d entries for %d files", len(m.Entries), len(files))
	}
	for _, e := range m.Entries {
		if e.MediaType == "" {
			t.Errorf("%s: no media type", e.Path)
		}
	}
}

// TestMerkleRoot pins the construction docs/bundle.md recomputes with
// sha256sum (the expected values come from that shell function): leaves are
// sha256sum lines, nodes hash their children's concatenated hex, and an odd
// node moves up unchanged.
func TestMerkleRoot(t *testing.T) {
	e := func(p, content string) Entry { return Entry{Path: p, SHA256: canon.Digest([]byte(content))} }
	for _, tt := range []struct {
		entries []Entry
		want    string
	}{
		{nil, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{[]Entry{e("a", "1")}, "sha256:fc5b2781bc65746b95c7f8f9f0265d76a070b77c7006e2b4964c7ebddf193d36"},
		{[]Entry{e("a", "1"), e("b", "2"), e("c", "3")}, "sha256:6e8c6f8fdb5779e7e074336f55f109ee8765dd88e2a33e9d5fbe9d22a5cb643a"},
	} {
		if got := MerkleRoot(tt.entries); got != tt.want {
			t.Errorf("MerkleRoot(%d entries) = %s, want %s", len(tt.entries), got, tt.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	ex := exportSite(t, a, ExportOptions{})
	dir := t.TempDir()
	path := writeFile(t, dir, "kit.tar.zst", ex.Data)
	dbB := filepath.Join(dir, "b.db")
	open := func() (*store.Store, error) { return store.Open(ctx, dbB, "", store.Options{Now: clock}) }

	res, err := ImportFile(ctx, path, Limits{}, open, trusting(a.key), filepath.Join(dir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Imported || len(res.Policies) != 1 || len(res.Snapshots) != 1 || len(res.Runs) != 1 || len(res.Keys) != 1 {
		t.Fatalf("import result %+v", res)
	}
	if res.Report.AnchorFrom != "time-anchor" || !reflect.DeepEqual(res.Report.Signers, []string{a.key.ID}) {
		t.Fatalf("report %+v", res.Report)
	}
	b := openStore(t, dbB, "")
	err = b.View(ctx, func(tx *store.Tx) error {
		pv, err := tx.PolicyVersion(ctx, "P-1", 1)
		if err != nil {
			return err
		}
		if pv.IRDigest != ex.Manifest.Policies[0].IRDigest {
			t.Errorf("IR digest %s, want %s", pv.IRDigest, ex.Manifest.Policies[0].IRDigest)
		}
		if _, err := tx.Snapshot(ctx, a.snapshot); err != nil {
			return err
		}
		r, err := tx.Run(ctx, a.run)
		if err != nil {
			return err
		}
		if r.FindingsDigest != a.findings || !r.Signed {
			t.Errorf("imported run: findings %s signed %v, want %s true", r.FindingsDigest, r.Signed, a.findings)
		}
		if _, err := tx.Key(ctx, a.key.ID); err != nil {
			return err
		}
		if _, err := tx.VerifyChain(ctx); err != nil {
			return err
		}
		evs, err := tx.Events(ctx, store.EventFilter{Type: "bundle.imported"})
		if err != nil || len(evs) != 1 {
			t.Fatalf("bundle.imported events: %d, %v", len(evs), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The imported content evaluates to the same findings at site B.
	var pv store.PolicyVersion
	b.View(ctx, func(tx *store.Tx) error { pv, err = tx.PolicyVersion(ctx, "P-1", 1); return err })
	bKey, _ := attest.Generate(attest.Ed25519)
	if _, findings := evaluate(t, b, pv, bKey); findings != a.findings {
		t.Fatalf("site B evaluates to %s, site A to %s", findings, a.findings)
	}

	// Importing the same bundle again changes nothing.
	path = writeFile(t, dir, "kit.tar.zst", ex.Data)
	res, err = ImportFile(ctx, path, Limits{}, open, trusting(a.key), filepath.Join(dir, "quarantine"))
	if err != nil || res.Imported {
		t.Fatalf("re-import: %+v, %v", res, err)
	}
}

func TestImportTenant(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	ex := exportSite(t, a, ExportOptions{})
	dir := t.TempDir()
	path := writeFile(t, dir, "kit.tar.zst", ex.Data)
	open := func() (*store.Store, error) {
		return store.Open(ctx, filepath.Join(dir, "b.db"), "other", store.Options{})
	}
	o := trusting(a.key)
	o.Tenant = "other"
	_, err := ImportFile(ctx, path, Limits{}, open, o, filepath.Join(dir, "q"))
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "--tenant default") {
		t.Fatalf("err %v, want Invalid naming --tenant", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("a bundle for another tenant is not quarantined: it is fine")
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err == nil {
		t.Fatal("the refused bundle opened the database")
	}
	// Without ImportOptions.Tenant, Import itself refuses it.
	st := openStore(t, filepath.Join(dir, "c.db"), "other")
	b, _ := Open(path, Limits{})
	if _, err := Import(ctx, st, b, trusting(a.key)); !fail.Is(err, fail.Invalid) {
		t.Fatalf("Import: %v, want Invalid", err)
	}
}

// TestImportNotAFile: a directory given as the bundle is a usage error
// (exit 2) that names it; it is neither read nor quarantined, and no
// database is opened.
func TestImportNotAFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kit := filepath.Join(dir, "kit")
	if err := os.Mkdir(kit, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(kit, Limits{}); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "kit is a directory, not a bundle file") {
		t.Fatalf("Open: %v, want Invalid naming the directory", err)
	}
	open := func() (*store.Store, error) {
		return store.Open(ctx, filepath.Join(dir, "b.db"), "default", store.Options{})
	}
	q := filepath.Join(dir, "q")
	if _, err := ImportFile(ctx, kit, Limits{}, open, ImportOptions{}, q); !fail.Is(err, fail.Invalid) {
		t.Fatalf("ImportFile: %v, want Invalid", err)
	}
	for _, p := range []string{q, filepath.Join(dir, "b.db")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if _, err := os.Stat(kit); err != nil {
		t.Errorf("the directory was moved: %v", err)
	}
}

func TestImportForce(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	newer := exportSite(t, a, ExportOptions{Sequence: 2})
	older := exportSite(t, a, ExportOptions{Sequence: 1, ValidFor: 40 * 24 * time.Hour})
	dir := t.TempDir()
	dbB := filepath.Join(dir, "b.db")
	open := func() (*store.Store, error) { return store.Open(ctx, dbB, "", store.Options{Now: clock}) }
	if _, err := ImportFile(ctx, writeFile(t, dir, "new.tar.zst", newer.Data), Limits{}, open, trusting(a.key), ""); err != nil {
		t.Fatal(err)
	}
	o := trusting(a.key)
	o.Force = true
	if _, err := ImportFile(ctx, writeFile(t, dir, "old.tar.zst", older.Data), Limits{}, open, o, ""); !fail.Is(err, fail.Invalid) {
		t.Fatalf("--force without --reason: %v", err)
	}
	o.Reason = "rollback to the March kit (INC-42)"
	res, err := ImportFile(ctx, filepath.Join(dir, "old.tar.zst"), Limits{}, open, o, "")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Forced || res.PreviousSequence != 2 {
		t.Fatalf("forced import: %+v", res)
	}
	b := openStore(t, dbB, "")
	b.View(ctx, func(tx *store.Tx) error {
		evs, _ := tx.Events(ctx, store.EventFilter{Type: "bundle.imported"})
		var p importedEvent
		json.Unmarshal(evs[len(evs)-1].Payload, &p)
		if !p.Forced || p.Reason != o.Reason || p.Sequence != 1 || p.PreviousSequence != 2 {
			t.Errorf("audit payload %s", evs[len(evs)-1].Payload)
		}
		return nil
	})
}

func TestVerifyClock(t *testing.T) {
	a := newSite(t, nil)
	ex := exportSite(t, a, ExportOptions{})
	b, err := Read(bytes.NewReader(ex.Data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// The clock, read with a fraction of a second in another zone: the
	// report says it in UTC to the second, as RFC 3339 text like the
	// manifest's times, and keeps the instant itself for Import.
	now := anchor.Add(900 * time.Millisecond).In(time.FixedZone("X", 3600))
	rep, err := b.Verify(context.Background(), VerifyOptions{Trusted: publicOnly(a.key), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.AnchorFrom != "system-clock" || len(rep.Warnings) != 1 || rep.TimeAnchor != "2026-03-10T00:00:00Z" || !rep.checkedAt.Equal(anchor) || rep.checkedAt.Location() != time.UTC {
		t.Fatalf("report %+v", rep)
	}
	j, err := json.Marshal(rep)
	if err != nil || !bytes.Contains(j, []byte(`"timeAnchor":"2026-03-10T00:00:00Z"`)) {
		t.Fatalf("report JSON %s: %v", j, err)
	}
}

func TestSelect(t *testing.T) {
	m := &Manifest{
		Policies:  []Policy{{PolicyID: "P-1", Version: 1}, {PolicyID: "P-1", Version: 2}, {PolicyID: "P-2", Version: 1}},
		Snapshots: []Snapshot{{ID: "sha256:aaaaaaaa11"}, {ID: "sha256:aaaaaaaa22"}},
	}
	for _, tt := range []struct {
		policy, snap string
		want         string // P-n@v snapshot, or the error kind
	}{
		{"P-1", "sha256:aaaaaaaa11", "P-1@2 sha256:aaaaaaaa11"},
		{"P-1@1", "aaaaaaaa22", "P-1@1 sha256:aaaaaaaa22"},
		{"", "aaaaaaaa11", "2"},
		{"P-3", "aaaaaaaa11", "4"},
		{"P-1", "", "2"},
		{"P-1", "aaaaaaaa", "2"},
		{"P-1", "bbbbbbbb", "4"},
		{"./x.stella", "aaaaaaaa11", "2"},
	} {
		got := ""
		tg, err := Select(m, tt.policy, tt.snap)
		if err != nil {
			got = string(rune('0' + fail.KindOf(err)))
		} else {
			got = tg.Policy.Ref() + " " + tg.SnapshotID
		}
		if got != tt.want {
			t.Errorf("Select(%q, %q) = %s (%v), want %s", tt.policy, tt.snap, got, err, tt.want)
		}
	}
}

func TestGuard(t *testing.T) {
	if err := Guard(false, "sync"); err != nil {
		t.Fatal(err)
	}
	err := Guard(true, "sync postgres")
	if !fail.Is(err, fail.Sealed) || !strings.HasPrefix(err.Error(), "sealed mode: ") {
		t.Fatalf("Guard(true) = %v", err)
	}
	for _, tt := range []struct {
		sealed bool
		ref    string
		kind   fail.Kind
	}{
		{true, "https://example.com/kit.tar.zst", fail.Sealed},
		{false, "https://example.com/kit.tar.zst", fail.Invalid},
		{true, "kit.tar.zst", 0},
		{true, "file:///tmp/kit.tar.zst", 0},
		{true, "C:/kits/kit.tar.zst", 0},
	} {
		err := CheckLocal(tt.sealed, "bundle", tt.ref)
		if tt.kind == 0 && err != nil || tt.kind != 0 && !fail.Is(err, tt.kind) {
			t.Errorf("CheckLocal(%v, %q) = %v, want kind %d", tt.sealed, tt.ref, err, tt.kind)
		}
	}
}

// TestImportNoTrustedKey: an import with no trusted key (the operator
// forgot --trust-root) is refused, exit 6, and leaves the kit where it was:
// nothing is known about the bundle, so it is not quarantined.
func TestImportNoTrustedKey(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	dir := t.TempDir()
	kit := writeFile(t, dir, "kit.tar.zst", exportSite(t, a, ExportOptions{}).Data)
	open := func() (*store.Store, error) {
		return store.Open(ctx, filepath.Join(dir, "b.db"), "default", store.Options{})
	}
	q := filepath.Join(dir, "q")
	_, err := ImportFile(ctx, kit, Limits{}, open, ImportOptions{}, q)
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "no trusted key given") || !strings.Contains(err.Error(), "the file was not moved") {
		t.Fatalf("ImportFile: %v, want Integrity: no trusted key, not moved", err)
	}
	for _, p := range []string{q, filepath.Join(dir, "b.db")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if _, err := os.Stat(kit); err != nil {
		t.Errorf("the kit was moved: %v", err)
	}
	// With its trust root the same file imports.
	if _, err := ImportFile(ctx, kit, Limits{}, open, trusting(a.key), q); err != nil {
		t.Fatal(err)
	}
}
