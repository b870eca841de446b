package run_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// TestExportVerify records a signed run, exports its evidence and verifies
// the archive and the run's envelope as policy verify does: with the
// signer's key, with no key, with the key the archive ships, and against
// the store and with no database.
func TestExportVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "s.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	other, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	p, err := run.LoadPolicy(ctx, nil, data+"policy.stella", store.PickLatest)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Evaluate(ctx, run.Spec{Policy: p, Files: &snapshot.Spec{SBOMs: []string{data + "app.cdx.json"}, Advisories: []string{data + "osv"}},
		At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Mode: store.ModeSimulate, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := run.Record(ctx, st, out, key)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := run.ExportEvidence(ctx, st, "latest", key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := run.ExportEvidence(ctx, st, rec.Record.RunID, key)
	if err != nil || string(again.Data) != string(ex.Data) {
		t.Fatalf("a second export differs (%v)", err)
	}
	if ex.RunID != rec.Record.RunID || !ex.Signed || ex.Findings != len(out.Result.Findings) {
		t.Fatalf("exported %+v", ex)
	}
	archive := filepath.Join(dir, "run.tar")
	if err := os.WriteFile(archive, ex.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if run.IsEnvelope(ex.Data) || !run.IsEnvelope([]byte(" \n{}")) {
		t.Fatal("IsEnvelope")
	}
	for _, tc := range []struct {
		name     string
		verify   func() (*run.VerifyReport, error)
		wantKind fail.Kind // 0: verified
		stored   string
	}{
		{"archive, signer's key", func() (*run.VerifyReport, error) {
			return run.VerifyArchive(ctx, archive, []*attest.Key{key}, false)
		}, 0, "not needed"},
		{"archive, another key", func() (*run.VerifyReport, error) {
			return run.VerifyArchive(ctx, archive, []*attest.Key{other}, false)
		}, fail.Integrity, ""},
		{"archive, no key", func() (*run.VerifyReport, error) { return run.VerifyArchive(ctx, archive, nil, false) }, fail.Integrity, ""},
		{"archive, embedded key", func() (*run.VerifyReport, error) { return run.VerifyArchive(ctx, archive, nil, true) }, 0, "not needed"},
		{"envelope, stored run", func() (*run.VerifyReport, error) {
			return run.VerifyEnvelope(ctx, st, "run.dsse.json", rec.Envelope, []*attest.Key{key})
		}, 0, "checked: record, findings, explains and IR match"},
		{"envelope, no database", func() (*run.VerifyReport, error) {
			return run.VerifyEnvelope(ctx, nil, "run.dsse.json", rec.Envelope, []*attest.Key{key})
		}, 0, "no database"},
		{"envelope, another key", func() (*run.VerifyReport, error) {
			return run.VerifyEnvelope(ctx, st, "run.dsse.json", rec.Envelope, []*attest.Key{other})
		}, fail.Integrity, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := tc.verify()
			if tc.wantKind != 0 {
				if fail.KindOf(err) != tc.wantKind || rep == nil {
					t.Fatalf("err %v (kind %d), want kind %d", err, fail.KindOf(err), tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.RunID != rec.Record.RunID || rep.StoredRun != tc.stored || len(rep.Signers) != 1 || rep.Signers[0] != key.ID {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}
