package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// resealSnapshot edits advisories.json of the snapshot a bundle of only
// that snapshot carries and seals the result as the producer would: the
// file's digest and size in the snapshot manifest, a new snapshot id and
// directory, the bundle manifest re-signed with sequence seq. Every file matches every
// manifest; only a check of the records can tell.
func resealSnapshot(t *testing.T, a *site, ms []member, seq int64, edit func([]byte) []byte) []member {
	t.Helper()
	dir := SnapshotDir(a.snapshot)
	var sm snapshot.Manifest
	if err := json.Unmarshal(firstUnder(t, ms, dir+snapshot.ManifestFile).data, &sm); err != nil {
		t.Fatal(err)
	}
	adv := edit(firstUnder(t, ms, dir+snapshot.AdvisoriesFile).data)
	for i, f := range sm.Content.Files {
		if f.Path == snapshot.AdvisoriesFile {
			sm.Content.Files[i].Digest, sm.Content.Files[i].Size = canon.Digest(adv), int64(len(adv))
		}
	}
	_, id, err := canon.DigestOf(sm.Content)
	if err != nil {
		t.Fatal(err)
	}
	sm.ID = id
	raw, err := json.Marshal(sm)
	if err != nil {
		t.Fatal(err)
	}
	var out []member
	for _, m := range ms {
		name, ok := strings.CutPrefix(m.hdr.Name, dir)
		switch {
		case !ok:
			out = append(out, m)
		case name == snapshot.ManifestFile:
			out = append(out, reg(SnapshotDir(id)+name, raw))
		case name == snapshot.AdvisoriesFile:
			out = append(out, reg(SnapshotDir(id)+name, adv))
		default:
			out = append(out, reg(SnapshotDir(id)+name, m.data))
		}
	}
	return resign(t, out, a.key, func(m *Manifest) {
		m.Snapshots[0].ID, m.Snapshots[0].Dir, m.Sequence = id, SnapshotDir(id), seq
	})
}

// TestImportVerifiesEveryRecord: a carried snapshot whose advisory record
// was changed and re-sealed (every file digest and the snapshot id agree)
// is refused before the import writes anything, exit 6.
func TestImportVerifiesEveryRecord(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	ms := members(t, exportSite(t, a, ExportOptions{Snapshots: []string{a.snapshot}}).Data)
	tampered := resealSnapshot(t, a, ms, 3, func(b []byte) []byte {
		out := bytes.Replace(b, []byte(`"Command Injection in lodash"`), []byte(`"Command Injection in LODASH"`), 1)
		if bytes.Equal(out, b) {
			t.Fatal("no record to tamper with")
		}
		return out
	})
	control := resealSnapshot(t, a, ms, 2, func(b []byte) []byte { return b })

	dir := t.TempDir()
	db := filepath.Join(dir, "b.db")
	open := func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }
	// A first, good bundle, so that the refused one has a store to leave alone.
	if _, err := ImportFile(ctx, writeFile(t, dir, "first.tar.zst", rawArchive(t, control)), Limits{}, open, trusting(a.key), ""); err != nil {
		t.Fatalf("the re-sealed, unchanged snapshot: %v", err)
	}
	before := auditCount(t, db)
	b, err := Read(bytes.NewReader(rawArchive(t, tampered)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(ctx, trusting(a.key).Verify); err != nil {
		t.Fatalf("every file matches its manifest, so the bundle verifies: %v", err)
	}
	st := openStore(t, db, "")
	_, err = Import(ctx, st, b, trusting(a.key))
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "advisory index") {
		t.Fatalf("tampered record: %v (kind %d), want an integrity failure naming the advisory index", err, fail.KindOf(err))
	}
	st.Close()
	if n := auditCount(t, db); n != before {
		t.Fatalf("the refused import wrote %d audit events", n-before)
	}
	st = openStore(t, db, "")
	err = st.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Snapshot(ctx, b.Manifest.Snapshots[0].ID)
		return err
	})
	if !fail.Is(err, fail.NotFound) {
		t.Fatalf("the tampered snapshot was stored: %v", err)
	}
}
