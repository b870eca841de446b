package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestPrepareRunCheck: ImportOptions.Check sees the verified bundle and the
// target before anything is imported — its error refuses the run with no
// database created — and reads the target's snapshot from the bundle.
func TestPrepareRunCheck(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	dir := t.TempDir()
	kit := writeFile(t, dir, "kit.tar.zst", exportSite(t, a, ExportOptions{Runs: []string{}, Snapshots: []string{a.snapshot}, Policies: []string{"P-1@latest"}}).Data)
	db := filepath.Join(dir, "site.db")
	open := func() (*store.Store, error) { return store.Open(ctx, db, "", store.Options{Now: clock}) }
	o := trusting(a.key)
	o.DB = db
	refused := fail.New(fail.Invalid, "refused by the check")
	var seen string
	o.Check = func(b *Bundle, tg *Target) error {
		sn, err := b.Snapshot(tg.SnapshotID)
		if err != nil {
			return err
		}
		if _, err := b.Snapshot("sha256:00"); !fail.Is(err, fail.NotFound) {
			t.Errorf("a snapshot the bundle does not hold: %v", err)
		}
		seen = sn.ID()
		return refused
	}
	if _, err := PrepareRun(ctx, kit, Limits{}, open, o, "", ""); !errors.Is(err, refused) {
		t.Fatalf("run: %v, want the check's refusal", err)
	}
	if seen != a.snapshot {
		t.Fatalf("the check read snapshot %q, want %s", seen, a.snapshot)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a refused run left a database: %v", err)
	}
	o.Check = func(*Bundle, *Target) error { return nil }
	if tg, err := PrepareRun(ctx, kit, Limits{}, open, o, "", ""); err != nil || !tg.Import.Imported {
		t.Fatalf("run passing the check: %+v, %v", tg, err)
	}

	// An unverified bundle's snapshot is never read.
	b, err := Read(bytes.NewReader(mustRead(t, kit)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Snapshot(a.snapshot); !fail.Is(err, fail.Integrity) {
		t.Fatalf("unverified: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
