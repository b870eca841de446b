package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
)

var clock = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func open(t *testing.T, path, tenant string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, tenant, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "stella.db")
	s := open(t, path, "")
	if s.Tenant() != DefaultTenant {
		t.Fatalf("tenant %q", s.Tenant())
	}
	v, err := s.userVersion(context.Background())
	if err != nil || v != SchemaVersion() {
		t.Fatalf("user_version %d, %v; want %d", v, err, SchemaVersion())
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	var fk int
	if err := s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d, %v", fk, err)
	}
	s.Close()
	// Reopening applies nothing and keeps the version.
	s2 := open(t, path, "")
	if v, _ := s2.userVersion(context.Background()); v != SchemaVersion() {
		t.Fatalf("reopen: user_version %d", v)
	}
}

func TestOpenRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	newer := filepath.Join(dir, "newer.db")
	s := open(t, newer, "")
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("this is not a database at all, just text padding it out"), 0o644)

	tests := []struct {
		name   string
		path   string
		tenant string
		opts   Options
		kind   fail.Kind
		msg    string
	}{
		{"newer schema", newer, "", Options{}, fail.Invalid, "written by a newer stella"},
		{"not a database", garbage, "", Options{}, fail.Integrity, "is not a SQLite database"},
		{"missing", filepath.Join(dir, "none.db"), "", Options{MustExist: true}, fail.NotFound, "does not exist"},
		{"bad tenant", filepath.Join(dir, "x.db"), "Acme Corp", Options{}, fail.Invalid, "only a-z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(ctx, tc.path, tc.tenant, tc.opts)
			if fail.KindOf(err) != tc.kind || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (kind %d), want kind %d with %q", err, fail.KindOf(err), tc.kind, tc.msg)
			}
		})
	}
}

func TestReadOnlyDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o555)
	path := filepath.Join(dir, "stella.db")
	if os.Geteuid() == 0 {
		// Root writes through directory permissions; /proc/self is a
		// directory nobody can create files in.
		if _, err := os.Stat("/proc/self"); err != nil {
			t.Skip("root, and no /proc")
		}
		path = "/proc/self/stella.db"
	}
	_, err := Open(context.Background(), path, "", Options{})
	if fail.KindOf(err) != fail.Internal || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "cannot") {
		t.Fatalf("got %v", err)
	}
}

func TestBlobsDeduplicated(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	var d1, d2 string
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		if d1, err = tx.PutBlob(ctx, MediaJSON, []byte(`{"a":1}`)); err != nil {
			return err
		}
		d2, err = tx.PutBlob(ctx, MediaJSON, []byte(`{"a":1}`))
		return err
	})
	if err != nil || d1 != d2 || d1 != canon.Digest([]byte(`{"a":1}`)) {
		t.Fatalf("%v %s %s", err, d1, d2)
	}
	var n int
	s.db.QueryRow("SELECT count(*) FROM blobs").Scan(&n)
	if n != 1 {
		t.Fatalf("%d blobs", n)
	}
	err = s.View(ctx, func(tx *Tx) error {
		_, err := tx.Blob(ctx, canon.Digest([]byte("nope")))
		return err
	})
	if !fail.Is(err, fail.NotFound) {
		t.Fatalf("missing blob: %v", err)
	}
}

func putSnapshot(t *testing.T, s *Store, id string, files map[string]string) bool {
	t.Helper()
	var fl []File
	for p, c := range files {
		fl = append(fl, File{Path: p, MediaType: MediaJSON, Data: []byte(c)})
	}
	var created bool
	err := s.Update(context.Background(), func(tx *Tx) error {
		var err error
		created, err = tx.PutSnapshot(context.Background(), id, "testdir", json.RawMessage(`{"sboms":1}`), fl)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	id := "sha256:" + strings.Repeat("ab", 32)
	files := map[string]string{"manifest.json": `{"id":1}`, "sbom/a.json": `{"c":[]}`, "sbom/b.json": `{"c":[1]}`, "advisories.json": `[]`}
	if !putSnapshot(t, s, id, files) {
		t.Fatal("first import not created")
	}
	if putSnapshot(t, s, id, files) {
		t.Fatal("second import created again")
	}
	err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.PutSnapshot(ctx, id, "x", nil, []File{{Path: "manifest.json", Data: []byte("other")}})
		return err
	})
	if !fail.Is(err, fail.Integrity) {
		t.Fatalf("conflicting import: %v", err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		_, err := tx.PutSnapshot(ctx, "sha256:"+strings.Repeat("cd", 32), "x", nil, []File{{Path: "../escape", Data: []byte("x")}})
		return err
	})
	if !fail.Is(err, fail.Invalid) {
		t.Fatalf("bad path: %v", err)
	}

	err = s.View(ctx, func(tx *Tx) error {
		for _, ref := range []string{id, "abababab", "sha256:abababab"} {
			got, err := tx.ResolveSnapshot(ctx, ref)
			if err != nil || got != id {
				t.Errorf("resolve %s: %s %v", ref, got, err)
			}
		}
		if _, err := tx.ResolveSnapshot(ctx, "ffffffff"); !fail.Is(err, fail.NotFound) {
			t.Errorf("unknown prefix: %v", err)
		}
		fsys, err := tx.SnapshotFS(ctx, id)
		if err != nil {
			return err
		}
		if err := fsTestRead(fsys, files); err != nil {
			t.Error(err)
		}
		list, err := tx.Snapshots(ctx)
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Errorf("list %v %v", list, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fsTestRead(fsys fs.FS, want map[string]string) error {
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		got[p] = string(b)
		return err
	})
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("walked %v, want %v", got, want)
	}
	for p, c := range want {
		if got[p] != c {
			return fmt.Errorf("%s = %q, want %q", p, got[p], c)
		}
	}
	return nil
}

func TestPolicyVersions(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	add := func(ir string) (PolicyVersion, bool) {
		var pv PolicyVersion
		var created bool
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			pv, created, err = tx.AddPolicyVersion(ctx, NewVersion{PolicyID: "P-1", Name: "base", IR: []byte(ir), Source: []byte("src " + ir)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return pv, created
	}
	if pv, c := add(`{"v":1}`); pv.Version != 1 || !c {
		t.Fatalf("%+v %v", pv, c)
	}
	if pv, c := add(`{"v":1}`); pv.Version != 1 || c {
		t.Fatalf("same IR: %+v %v", pv, c)
	}
	if pv, c := add(`{"v":2}`); pv.Version != 2 || !c {
		t.Fatalf("%+v %v", pv, c)
	}
	s.View(ctx, func(tx *Tx) error {
		if pv, err := tx.PolicyVersion(ctx, "P-1", 0); err != nil || pv.Version != 2 {
			t.Errorf("latest %+v %v", pv, err)
		}
		if pv, err := tx.PolicyVersion(ctx, "P-1", 1); err != nil || pv.IRDigest != canon.Digest([]byte(`{"v":1}`)) {
			t.Errorf("v1 %+v %v", pv, err)
		}
		if _, err := tx.PolicyVersion(ctx, "P-1", 9); !fail.Is(err, fail.NotFound) {
			t.Errorf("v9 %v", err)
		}
		return nil
	})
	for _, tc := range []struct {
		ref     string
		id      string
		v       int
		ok, bad bool
	}{{"P-3", "P-3", 0, true, false}, {"P-3@2", "P-3", 2, true, false}, {"P-3@x", "", 0, true, true}, {"policy.stella", "", 0, false, false}, {"P-0", "", 0, false, false}} {
		id, v, ok, err := ParsePolicyRef(tc.ref)
		if id != tc.id || v != tc.v || ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("ParsePolicyRef(%q) = %q %d %v %v", tc.ref, id, v, ok, err)
		}
	}
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	err := s.Update(ctx, func(tx *Tx) error {
		for i := range 5 {
			if _, err := tx.Append(ctx, "test.event", "tester", fmt.Sprint("s", i), map[string]int{"i": i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx *Tx) error {
		n, err := tx.VerifyChain(ctx)
		if err != nil || n != 5 {
			t.Fatalf("verify: %d %v", n, err)
		}
		ev, _ := tx.Events(ctx, EventFilter{Type: "test.*", Subject: "s3"})
		if len(ev) != 1 || ev[0].Seq != 4 || string(ev[0].Payload) != `{"i":3}` {
			t.Fatalf("events %+v", ev)
		}
		return nil
	})
	// The table refuses edits...
	if _, err := s.db.Exec(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update allowed: %v", err)
	}
	if _, err := s.db.Exec(`DELETE FROM audit_events WHERE seq = 3`); err == nil {
		t.Fatal("delete allowed")
	}
	// ...and an edit behind the triggers' back breaks the chain at that event.
	s.db.Exec(`DROP TRIGGER audit_events_no_update`)
	if _, err := s.db.Exec(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx *Tx) error { _, err := tx.VerifyChain(ctx); return err })
	var ce *ChainError
	if !fail.Is(err, fail.Integrity) || !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("tampered chain: %v", err)
	}
}

func TestTenancy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	a := open(t, path, "acme")
	b := open(t, path, "globex")
	id := "sha256:" + strings.Repeat("12", 32)
	putSnapshot(t, a, id, map[string]string{"m.json": "{}"})
	a.Update(ctx, func(tx *Tx) error { _, err := tx.Append(ctx, "x", "a", "s", nil); return err })
	b.Update(ctx, func(tx *Tx) error { _, err := tx.Append(ctx, "x", "b", "s", nil); return err })
	b.View(ctx, func(tx *Tx) error {
		if _, err := tx.ResolveSnapshot(ctx, id); !fail.Is(err, fail.NotFound) {
			t.Errorf("tenant b sees a's snapshot: %v", err)
		}
		ev, _ := tx.Events(ctx, EventFilter{})
		if len(ev) != 1 || ev[0].Actor != "b" || ev[0].Seq != 1 {
			t.Errorf("b's chain: %+v", ev)
		}
		return nil
	})
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, path, "", Options{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for j := range 10 {
				err := s.Update(ctx, func(tx *Tx) error {
					_, err := tx.Append(ctx, "test.concurrent", fmt.Sprint("w", i), fmt.Sprint(j), nil)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := open(t, path, "")
	s.View(ctx, func(tx *Tx) error {
		n, err := tx.VerifyChain(ctx)
		if err != nil || n != 80 {
			t.Fatalf("chain after concurrent appends: %d %v", n, err)
		}
		return nil
	})
}

// result builds an engine result with n findings whose digests are computed
// the way the engine documents them.
func result(t testing.TB, n int, shadow bool) *engine.Result {
	t.Helper()
	res, err := buildResult(n, shadow)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// buildResult is result for callers without a testing.TB (the crash child).
func buildResult(n int, shadow bool) (*engine.Result, error) {
	res := &engine.Result{
		SchemaVersion:  engine.SchemaVersion,
		Policy:         engine.PolicyRef{ID: "base", Digest: canon.Digest([]byte("ir")), Syntax: "stella-dsl@1"},
		Inputs:         engine.InputsRef{SBOMs: []engine.SBOMRef{}, InputsHash: canon.Digest([]byte("inputs"))},
		Env:            []engine.KV{},
		EvaluationTime: "2026-01-02T03:04:05Z",
		Shadow:         shadow,
		Verdict:        engine.VerdictBlocked,
	}
	var fs []json.RawMessage
	var ids []string
	for i := range n {
		ex := &engine.Explain{FindingID: fmt.Sprintf("finding:%03d", i), Verdict: engine.ExplainResult{Status: "blocked", Rule: "r"}}
		_, id, err := canon.DigestOf(ex)
		if err != nil {
			return nil, err
		}
		ex.ExplainID = id
		// Built from JSON so the test does not depend on Go field shapes.
		var f engine.Finding
		js := fmt.Sprintf(`{"findingId":%q,"purl":"pkg:npm/p%d@1.0.0","advisoryId":"GHSA-%d","aliases":["CVE-2024-%d"],
			"vexStatus":"affected","verdict":"blocked","enforced":%v,"severity":{"band":"High","score":7.5},"explainId":%q}`,
			ex.FindingID, i, i, i, !shadow, id)
		if err := json.Unmarshal([]byte(js), &f); err != nil {
			return nil, err
		}
		fb, _ := canon.Marshal(f)
		fs, ids = append(fs, fb), append(ids, id)
		f.Explain = ex
		res.Findings = append(res.Findings, f)
	}
	res.Summary.ByVerdict.Blocked = n
	_, res.Digests.Findings, _ = canon.DigestOf(fs)
	res.Digests.Explains = ExplainsDigest(ids)
	if fs == nil {
		res.Digests.Findings = canon.Digest([]byte("[]"))
	}
	return res, nil
}

// record is a run record for res as internal/run builds it (run.NewRecord,
// tested there), with the fields the store persists and checks: its run id
// differs with env, shadow flag and mode.
func record(m RunMeta, res *engine.Result) *RunRecord {
	rec := failedRecord(m, nil)
	rec.Status, rec.Verdict, rec.Error = StatusSucceeded, res.Verdict, ""
	rec.Inputs.InputsRef = res.Inputs
	rec.Stats = RecordStats{Findings: len(res.Findings), ByVerdict: res.Summary.ByVerdict}
	rec.Outputs = RecordOutputs{Findings: res.Digests.Findings, Explains: res.Digests.Explains, Result: res.Digests.Result}
	return rec
}

// failedRecord is the record of a run that failed with cause.
func failedRecord(m RunMeta, cause error) *RunRecord {
	_, key, _ := canon.DigestOf([]any{m.Env, m.Shadow, m.Mode})
	rec := &RunRecord{SchemaVersion: RecordSchema, RunID: "run:" + m.PolicyID + ":" + m.EvaluationTime + ":" + canon.Short(key, 12),
		Tenant: DefaultTenant, Mode: m.Mode, Shadow: m.Shadow, Status: StatusFailed,
		Policy: RecordPolicy{PolicyID: m.PolicyID, IRDigest: canon.Digest(m.IR), Syntax: "stella-dsl@1"},
		Inputs: RecordInputs{InputsRef: engine.InputsRef{SBOMs: []engine.SBOMRef{}}, Env: m.Env, EvaluationTime: m.EvaluationTime}}
	if cause != nil {
		rec.Error = cause.Error()
	}
	return rec
}

func meta(env string, shadow bool) RunMeta {
	return RunMeta{Mode: ModeRun, PolicyID: "base", IR: []byte(`{"ir":1}`), SourceMap: []byte(`{"file":"p.stella"}`), Shadow: shadow,
		Env: []engine.KV{{Key: "exposure", Value: env}}, EvaluationTime: "2026-01-02T03:04:05Z",
		StartedAt: clock(), CompletedAt: clock().Add(1500 * time.Millisecond)}
}

func TestRecordRun(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	m := meta("internet", false)
	res := result(t, 3, false)
	rec := record(m, res)
	run, existing, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: rec, Result: res, Attestation: envelopeOf(t, rec)})
	if err != nil || existing {
		t.Fatalf("%v %v", err, existing)
	}
	if run.Findings != 3 || run.Verdict != "blocked" || !run.Signed || run.DurationMS != 1500 {
		t.Fatalf("run %+v", run)
	}
	// The same run again is idempotent, and logged.
	if _, existing, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: rec, Result: res}); err != nil || !existing {
		t.Fatalf("rerun: %v %v", err, existing)
	}
	// Different env: a different run.
	m2 := meta("internal", false)
	rec2 := record(m2, res)
	if rec2.RunID == rec.RunID {
		t.Fatal("env does not change the run id")
	}
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m2, Record: rec2, Result: res}); err != nil {
		t.Fatal(err)
	}
	// A failed run.
	m3 := meta("dmz", false)
	frec := failedRecord(m3, fmt.Errorf("step budget exceeded"))
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m3, Record: frec}); err != nil {
		t.Fatal(err)
	}

	err = s.View(ctx, func(tx *Tx) error {
		runs, err := tx.Runs(ctx, RunFilter{})
		if err != nil || len(runs) != 3 {
			t.Fatalf("runs %d %v", len(runs), err)
		}
		failed, _ := tx.Runs(ctx, RunFilter{Status: "failed"})
		if len(failed) != 1 || failed[0].Error != "step budget exceeded" {
			t.Fatalf("failed %+v", failed)
		}
		got, err := tx.Result(ctx, run)
		if err != nil {
			return err
		}
		gb, _ := canon.Marshal(got)
		wb, _ := canon.Marshal(res)
		if string(gb) != string(wb) {
			t.Fatalf("result round trip differs:\n%s\n%s", gb, wb)
		}
		fs, _ := tx.Findings(ctx, run.RunID, FindingFilter{Vuln: "CVE-2024-1"}, false)
		if len(fs) != 1 || fs[0].FindingID != "finding:001" || fs[0].Explain != nil {
			t.Fatalf("by alias: %+v", fs)
		}
		fs, _ = tx.Findings(ctx, run.RunID, FindingFilter{Vuln: "cve-2024-1"}, true)
		if len(fs) != 1 || fs[0].FindingID != "finding:001" || fs[0].Explain == nil {
			t.Fatalf("by alias in another case: %+v", fs)
		}
		fs, _ = tx.Findings(ctx, run.RunID, FindingFilter{Purl: "pkg:npm/p2*"}, true)
		if len(fs) != 1 || fs[0].Explain == nil {
			t.Fatalf("by purl: %+v", fs)
		}
		ev, _ := tx.Events(ctx, EventFilter{Type: "policy.run."})
		var types []string
		for _, e := range ev {
			types = append(types, e.Type)
		}
		want := "policy.run.started policy.run.completed policy.run.started policy.run.completed policy.run.started policy.run.completed policy.run.started policy.run.failed"
		if strings.Join(types, " ") != want {
			t.Fatalf("events %v", types)
		}
		if _, err := tx.Run(ctx, "run:nope"); !fail.Is(err, fail.NotFound) {
			t.Fatalf("unknown run: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() || rep.Runs != 3 || rep.Findings != 6 {
		t.Fatalf("check %+v %v", rep, err)
	}

	// A tampered finding is caught by check.
	if _, err := s.db.Exec(`UPDATE findings SET data = CAST(replace(data, 'affected', 'fixed') AS BLOB) WHERE finding_id = 'finding:001'`); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.Check(ctx)
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "findings hash to") {
		t.Fatalf("tampered finding not found: %+v", rep.Problems)
	}
}

// TestVerifiedOutputs: recording writes the engine's bytes without
// re-checking them; a run whose stored outputs do not match its recorded
// digests or whose trace does not match its id is reported by Check and
// refused by VerifiedOutputs (replay, export).
func TestVerifiedOutputs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		edit  func(s *Store, res *engine.Result)
		check string // what Check reports
		read  string // VerifiedOutputs' error
	}{
		{"as recorded", func(*Store, *engine.Result) {}, "", ""},
		{"wrong findings digest", func(_ *Store, res *engine.Result) { res.Digests.Findings = canon.Digest([]byte("other")) },
			"findings hash to", "stored findings hash to"},
		{"wrong explains digest", func(_ *Store, res *engine.Result) { res.Digests.Explains = canon.Digest([]byte("other")) },
			"explains hash to", "stored explains hash to"},
		{"trace edited", func(s *Store, _ *engine.Result) {
			if _, err := s.db.Exec(`UPDATE explains SET data = CAST(replace(CAST(data AS TEXT), '"blocked"', '"passed"') AS BLOB)`); err != nil {
				t.Fatal(err)
			}
		}, "content hashes to", "does not hash to its id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
			res := result(t, 2, false)
			m := meta("x", false)
			if !strings.HasPrefix(tt.name, "trace") {
				tt.edit(s, res)
			}
			run, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res})
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tt.name, "trace") {
				tt.edit(s, res)
			}
			rep, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rep.Problems, "\n"); tt.check == "" && got != "" || !strings.Contains(got, tt.check) {
				t.Errorf("check: %q, want %q", got, tt.check)
			}
			err = s.View(ctx, func(tx *Tx) error {
				_, err := tx.VerifiedOutputs(ctx, run)
				return err
			})
			if tt.read == "" && err != nil || tt.read != "" && (!fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tt.read)) {
				t.Errorf("verified outputs: %v, want %q", err, tt.read)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	now := clock()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, "")
	oldM := meta("old", false)
	oldM.StartedAt, oldM.CompletedAt = now.AddDate(-2, 0, 0), now.AddDate(-2, 0, 0)
	oldM.IR = []byte(`{"ir":"old"}`)
	res := result(t, 2, false)
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: oldM, Record: record(oldM, res), Result: res}); err != nil {
		t.Fatal(err)
	}
	newM := meta("new", false)
	res2 := result(t, 1, false)
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: newM, Record: record(newM, res2), Result: res2}); err != nil {
		t.Fatal(err)
	}
	dry, err := s.Prune(ctx, now.Add(-DefaultRetention), true)
	if err != nil || dry.Runs != 1 || dry.Findings != 2 {
		t.Fatalf("dry %+v %v", dry, err)
	}
	rep, err := s.Prune(ctx, now.Add(-DefaultRetention), false)
	if err != nil || rep.Runs != 1 || rep.Findings != 2 || rep.Explains != 1 || rep.Blobs != 1 {
		t.Fatalf("prune %+v %v", rep, err)
	}
	c, err := s.Check(ctx)
	if err != nil || !c.OK() || c.Runs != 1 {
		t.Fatalf("check after prune %+v %v", c, err)
	}
}

func TestCorruptedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, "")
	res := result(t, 50, false)
	m := meta("x", false)
	if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}); err != nil {
		t.Fatal(err)
	}
	s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	s.Close()
	b, _ := os.ReadFile(path)
	// Overwrite pages after the first with garbage; the header stays valid.
	for i := 4096; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	os.WriteFile(path, b, 0o644)
	s2, err := Open(ctx, path, "", Options{})
	if err == nil {
		rep, cerr := s2.Check(ctx)
		s2.Close()
		if cerr == nil && rep.OK() {
			t.Fatal("corruption not detected")
		}
		err = cerr
		if err == nil {
			return // reported as problems
		}
	}
	if k := fail.KindOf(err); k != fail.Integrity {
		t.Fatalf("kind %d: %v", k, err)
	}
}

func BenchmarkRecordRun(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "b.db"), "", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	res := result(b, 400, false)
	b.ResetTimer()
	for i := range b.N {
		m := meta(strconv.Itoa(i), false)
		if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMemFS checks the stored-snapshot file system against the fs.FS
// contract (fstest.TestFS walks, opens, reads and stats everything).
func TestMemFS(t *testing.T) {
	m := memFS{files: map[string][]byte{
		"manifest.json":        []byte(`{}`),
		"sboms/a.json":         []byte(`{"a":1}`),
		"sboms/b.json":         []byte(`{"b":2}`),
		"index/deep/file.json": []byte(`[]`),
	}}
	if err := fstest.TestFS(m, "manifest.json", "sboms/a.json", "sboms/b.json", "index/deep/file.json"); err != nil {
		t.Fatal(err)
	}
}

// TestSignedHeadBeforeCommit: the head is signed inside the transaction, so
// a signer that fails rolls the events back instead of committing events no
// signed head covers while reporting an error (docs/store.md "Audit log").
func TestSignedHeadBeforeCommit(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
	appendOne := func(sign HeadSigner) error {
		return s.Update(ctx, func(tx *Tx) error {
			tx.SignHead(sign)
			_, err := tx.Append(ctx, "test.event", "tester", "s", map[string]int{})
			return err
		})
	}
	if err := appendOne(func(context.Context, Checkpoint) ([]byte, error) { return nil, errors.New("no key") }); !fail.Is(err, fail.Internal) {
		t.Fatalf("failing signer: %v", err)
	}
	if err := s.View(ctx, func(tx *Tx) error {
		if n, err := tx.VerifyChain(ctx); err != nil || n != 0 {
			t.Errorf("after a failed signature the chain has %d events (%v), want 0", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := appendOne(func(_ context.Context, c Checkpoint) ([]byte, error) { return json.Marshal(c) }); err != nil {
		t.Fatal(err)
	}
	env, err := s.SignedHead()
	var c Checkpoint
	if err != nil || json.Unmarshal(env, &c) != nil || c.Seq != 1 {
		t.Fatalf("signed head %s, %v", env, err)
	}
}

func TestLatestEnforced(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path, "")
	latest := func(s *Store) (id, at string) {
		t.Helper()
		if err := s.View(ctx, func(tx *Tx) error {
			rid, ts, err := tx.LatestEnforced(ctx)
			id, at = rid, ""
			if !ts.IsZero() {
				at = ts.Format(time.RFC3339Nano)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return id, at
	}
	put := func(s *Store, at, mode string, shadow, failed bool) string {
		t.Helper()
		m := meta("internet", shadow)
		m.Mode, m.EvaluationTime = mode, at
		res := result(t, 1, shadow)
		rec := record(m, res)
		req := RecordRequest{Meta: m, Record: rec, Result: res}
		if failed {
			rec = failedRecord(m, fmt.Errorf("step budget exceeded"))
			req = RecordRequest{Meta: m, Record: rec}
		}
		if _, _, err := s.RecordRun(ctx, req); err != nil {
			t.Fatal(err)
		}
		return rec.RunID
	}
	if id, at := latest(s); id != "" || at != "" {
		t.Fatalf("empty database: %q %q", id, at)
	}
	first := put(s, "2026-01-02T00:00:00Z", ModeRun, false, false)
	for _, c := range []struct {
		name, at, mode string
		shadow, failed bool
		wantID         string // "" → the previous latest stays
		wantAt         string
	}{
		{"an earlier enforced run", "2025-06-01T00:00:00Z", ModeRun, false, false, "", "2026-01-02T00:00:00Z"},
		{"a later shadow run", "2027-01-01T00:00:00Z", ModeRun, true, false, "", "2026-01-02T00:00:00Z"},
		{"a later recorded simulation", "2027-01-01T00:00:00Z", ModeSimulate, false, false, "", "2026-01-02T00:00:00Z"},
		{"a later failed enforced run", "2026-03-01T00:00:00Z", ModeRun, false, true, "new", "2026-03-01T00:00:00Z"},
		{"a fraction of a second later", "2026-03-01T00:00:00.5Z", ModeRun, false, false, "new", "2026-03-01T00:00:00.5Z"},
		{"a later whole second", "2026-03-01T00:00:01Z", ModeRun, false, false, "new", "2026-03-01T00:00:01Z"},
	} {
		id := put(s, c.at, c.mode, c.shadow, c.failed)
		gotID, gotAt := latest(s)
		if c.wantID == "" {
			id = first
		} else {
			first = id
		}
		if gotID != id || gotAt != c.wantAt {
			t.Fatalf("%s: latest %s %s, want %s %s", c.name, gotID, gotAt, id, c.wantAt)
		}
	}
	// A run imported from another site, dated ahead, is that site's time.
	m := meta("internet", false)
	m.Mode, m.EvaluationTime = ModeRun, "2099-01-01T00:00:00Z"
	res := result(t, 2, false)
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.ImportRun(ctx, RecordRequest{Meta: m, Record: record(m, res), Result: res}, "bundle")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if gotID, gotAt := latest(s); gotID != first || gotAt != "2026-03-01T00:00:01Z" {
		t.Fatalf("after an imported run dated 2099: latest %s %s, want %s 2026-03-01T00:00:01Z", gotID, gotAt, first)
	}
	// Another tenant's runs are its own.
	other := open(t, path, "acme")
	if id, _ := latest(other); id != "" {
		t.Fatalf("tenant acme sees %s", id)
	}
}
