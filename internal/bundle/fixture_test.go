package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/testenv"
)

// site is a database with a registered policy version, a snapshot of the
// repository's example inputs, a signing key and a signed run.
type site struct {
	st       *store.Store
	key      *attest.Key
	dir      string
	snapshot string
	run      string
	findings string // findings digest of the run
}

// clock is the wall clock of every test store: row times never depend on
// when the test runs.
func clock() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func openStore(t testing.TB, path, tenant string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, tenant, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newSite builds the producing site. key may be nil for a fresh ed25519
// key.
func newSite(t testing.TB, key *attest.Key) *site {
	t.Helper()
	ctx := context.Background()
	root := testenv.RepoRoot()
	dir := t.TempDir()
	s := &site{st: openStore(t, filepath.Join(dir, "a.db"), ""), dir: dir, key: key}
	if s.key == nil {
		var err error
		if s.key, err = attest.Generate(attest.Ed25519); err != nil {
			t.Fatal(err)
		}
	}
	srcPath := filepath.Join(root, "testdata", "policies", "example.stella")
	src, err := os.ReadFile(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	comp := dsl.CompileResult("example.stella", src)
	if comp.Policy == nil {
		t.Fatalf("compile: %v", comp.Diagnostics)
	}
	sm, err := json.Marshal(comp.SourceMap)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(root, "testdata", "inputs")
	snap, err := snapshot.FromFiles(snapshot.Spec{
		SBOMs:      []string{filepath.Join(in, "shop.cdx.json")},
		Advisories: []string{filepath.Join(in, "osv")},
		VEX:        []string{filepath.Join(in, "shop.openvex.json")},
		EPSS:       filepath.Join(in, "epss.csv"),
		KEV:        filepath.Join(in, "kev.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := snap.Files()
	if err != nil {
		t.Fatal(err)
	}
	var pv store.PolicyVersion
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		pem, _ := s.key.PublicPEM()
		if _, err := tx.PutKey(ctx, store.Key{KeyID: s.key.ID, Name: "producer", Type: s.key.Type, PublicPEM: string(pem)}); err != nil {
			return err
		}
		pv, _, err = tx.AddPolicyVersion(ctx, store.NewVersion{PolicyID: "P-1", Name: comp.Policy.PolicyID, IR: comp.IR, Source: src, SourceMap: sm, Author: "alice"})
		if err != nil {
			return err
		}
		sf := make([]store.File, len(files))
		for i, f := range files {
			sf[i] = store.File{Path: f.Path, MediaType: f.MediaType, Data: f.Data}
		}
		_, err = tx.PutSnapshot(ctx, snap.ID(), "test", json.RawMessage(`{"sboms":1}`), sf)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.snapshot = snap.ID()
	s.run, s.findings = evaluate(t, s.st, pv, s.key)
	return s
}

// evaluate runs policy version pv over the store's snapshot as `policy
// run` does and records the run signed by key; it returns the run id and
// the findings digest.
func evaluate(t testing.TB, st *store.Store, pv store.PolicyVersion, key *attest.Key) (string, string) {
	t.Helper()
	ctx := context.Background()
	var irBytes, sm []byte
	var snap *snapshot.Snapshot
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		if irBytes, err = tx.Blob(ctx, pv.IRDigest); err != nil {
			return err
		}
		if sm, err = tx.Blob(ctx, pv.SourceMapDigest); err != nil {
			return err
		}
		sns, err := tx.Snapshots(ctx)
		if err != nil {
			return err
		}
		f, err := tx.SnapshotFS(ctx, sns[0].ID)
		if err != nil {
			return err
		}
		snap, err = snapshot.LoadFS(f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ir.Decode(irBytes)
	if err != nil {
		t.Fatal(err)
	}
	var srcMap ir.SourceMap
	if err := json.Unmarshal(sm, &srcMap); err != nil {
		t.Fatal(err)
	}
	m, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	res, err := engine.Evaluate(ctx, engine.Request{Policy: pol, SourceMap: &srcMap, Digest: pv.IRDigest, Inputs: snap.Inputs,
		Match: m, SnapshotID: snap.ID(), At: at, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	meta := store.RunMeta{Mode: store.ModeRun, PolicyID: pv.PolicyID, PolicyVersion: pv.Version, IR: irBytes, SourceMap: sm,
		SnapshotID: snap.ID(), Env: []engine.KV{}, EvaluationTime: at.Format(time.RFC3339), StartedAt: clock(), CompletedAt: clock().Add(time.Second)}
	rec := run.NewRecord(st.Tenant(), meta, res)
	recJSON, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := attest.RunStatement(recJSON, attest.RunSubjects(res.Digests.Findings, res.Digests.Explains, nil))
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(ctx, attest.PayloadType, stmt, key)
	if err != nil {
		t.Fatal(err)
	}
	envJSON, err := attest.MarshalEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	run, _, err := st.RecordRun(ctx, store.RecordRequest{Meta: meta, Record: rec, Result: res, Attestation: envJSON})
	if err != nil {
		t.Fatal(err)
	}
	return run.RunID, run.FindingsDigest
}
