package bundle

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestRefusedImportWritesNoDatabase: a fresh site whose first import (or
// sealed run) is refused — a bad signature, an untrusted key, a tampered
// snapshot record found only by the import, run evidence the manifest does
// not match — is left without a database, and without the temporary one
// the import wrote into; an existing database is left byte for byte; a
// good import creates the database (docs/bundle.md "stella bundle import").
func TestRefusedImportWritesNoDatabase(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	ex := exportSite(t, a, ExportOptions{})
	ms := members(t, ex.Data)
	other, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	snap := members(t, exportSite(t, a, ExportOptions{Snapshots: []string{a.snapshot}}).Data)
	tampered := rawArchive(t, resealSnapshot(t, a, snap, 3, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"Command Injection in lodash"`), []byte(`"Command Injection in LODASH"`), 1)
	}))
	badRun := rawArchive(t, resign(t, ms, a.key, func(m *Manifest) { m.Runs[0].FindingsDigest = "sha256:" + strings.Repeat("0", 64) }))
	badSig := bytes.Clone(ex.Data)
	refused := []struct {
		name string
		data []byte
		o    ImportOptions
		kind fail.Kind
	}{
		{"untrusted key", ex.Data, trusting(other), fail.Integrity},
		{"no trusted key", ex.Data, ImportOptions{Verify: VerifyOptions{TimeAnchor: anchor}}, fail.Integrity},
		{"not a bundle", badSig[:len(badSig)/2], trusting(a.key), fail.Integrity},
		{"tampered snapshot record", tampered, trusting(a.key), fail.Integrity},
		{"run evidence not its entry", badRun, trusting(a.key), fail.Integrity},
	}
	// fresh returns the options of an import into dir/site.db, and its open.
	fresh := func(dir string, o ImportOptions) (string, func() (*store.Store, error), ImportOptions) {
		db := filepath.Join(dir, "site.db")
		o.DB = db
		return db, func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }, o
	}
	// only says dir holds exactly want (the kit, the database…): no
	// temporary database is left behind.
	only := func(t *testing.T, dir string, want ...string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s holds %v, want %v", dir, got, want)
		}
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kit := writeFile(t, dir, "kit.tar.zst", tt.data)
			db, open, o := fresh(dir, tt.o)
			if _, err := ImportFile(ctx, kit, Limits{}, open, o, ""); !fail.Is(err, tt.kind) {
				t.Fatalf("import: %v (kind %d), want kind %d", err, fail.KindOf(err), tt.kind)
			}
			only(t, dir, "kit.tar.zst")
			// (A kit of a snapshot alone is refused by a run for holding no
			// policy.)
			if _, err := PrepareRun(ctx, kit, Limits{}, open, o, "", ""); err == nil {
				t.Fatal("sealed run: no error")
			}
			only(t, dir, "kit.tar.zst")

			// An existing database is left as it was, byte for byte.
			good := writeFile(t, dir, "good.tar.zst", ex.Data)
			if _, err := ImportFile(ctx, good, Limits{}, open, trusting(a.key), ""); err != nil {
				t.Fatalf("good import: %v", err)
			}
			before, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ImportFile(ctx, kit, Limits{}, open, o, ""); !fail.Is(err, tt.kind) {
				t.Fatalf("import into an existing database: %v (kind %d), want kind %d", err, fail.KindOf(err), tt.kind)
			}
			if after, err := os.ReadFile(db); err != nil || !bytes.Equal(before, after) {
				t.Fatalf("the refused import changed the existing database (%v)", err)
			}
		})
	}

	// A good import on a fresh site creates the database, with its content;
	// so does a good sealed run.
	for _, run := range []bool{false, true} {
		dir := t.TempDir()
		kit := writeFile(t, dir, "kit.tar.zst", ex.Data)
		db, open, o := fresh(dir, trusting(a.key))
		if run {
			_, err = PrepareRun(ctx, kit, Limits{}, open, o, "", "")
		} else {
			_, err = ImportFile(ctx, kit, Limits{}, open, o, "")
		}
		if err != nil {
			t.Fatalf("good import (run %v): %v", run, err)
		}
		only(t, dir, "kit.tar.zst", "site.db", "site.db.head")
		if n := auditCount(t, db); n == 0 {
			t.Fatalf("run %v: the imported database holds no audit events", run)
		}
		st := openStore(t, db, "")
		if err := st.View(ctx, func(tx *store.Tx) error { _, err := tx.Snapshot(ctx, a.snapshot); return err }); err != nil {
			t.Fatalf("run %v: the imported snapshot: %v", run, err)
		}
	}
}
