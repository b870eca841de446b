package governance

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// A policy with no BLOCKING conflict, and one with a BLOCKING conflict.
const (
	cleanPolicy = `policy "Gate" syntax "stella-dsl@1" {
  rule block_critical priority 1 {
    when severity.normalized >= "Critical"
    then status := "blocked"
    because "Critical findings block."
  }
}
`
	cleanPolicyV2 = `policy "Gate" syntax "stella-dsl@1" {
  rule block_high priority 1 {
    when severity.normalized >= "High"
    then status := "blocked"
    because "High and critical findings block."
  }
}
`
	conflictPolicy = `policy "Conflicted" syntax "stella-dsl@1" {
  rule block_high priority 1 {
    when severity.normalized >= "High"
    then status := "blocked"
    because "High blocks."
  }
  rule pass_npm priority 1 {
    when sbom.ecosystem == "npm"
    then status := "passed"
    because "npm passes."
  }
}
`
)

// clock is a settable wall clock for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time              { return c.t }
func (c *clock) advance(d time.Duration)     { c.t = c.t.Add(d) }
func newClock(s string) *clock               { t, _ := time.Parse(time.RFC3339, s); return &clock{t: t} }
func (c *clock) text(d time.Duration) string { return c.t.Add(d).UTC().Format(time.RFC3339) }

// world is a store with a trust config of five principals: alice authors
// (and may approve, to test that authors cannot approve their own work),
// bob reviews and operates, carol and dave approve, erin audits and
// approves exceptions.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	st    *store.Store
	reg   *Registry
	keys  map[string]*attest.Key
	as    map[string]*Actor
	// noReplay: run does not record an identical replay of each
	// succeeded run (approval needs one).
	noReplay bool
}

var roles = map[string][]string{
	"alice": {ScopePolicyAuthor, ScopePolicySimulate, ScopeFindingsRead, ScopePolicyApprove},
	"bob":   {ScopePolicyReview, ScopePolicyOperate, ScopePolicyActivate, ScopeFindingsRead},
	"carol": {ScopePolicyApprove, ScopePolicyAudit, ScopeFindingsRead},
	"dave":  {ScopePolicyApprove, ScopeFindingsRead, ScopeExceptionApprove},
	"erin":  {ScopePolicyAudit, ScopeExceptionApprove},
}

var principals = []string{"alice", "bob", "carol", "dave", "erin"}

func newWorld(t *testing.T, quorum int) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), clock: newClock("2026-06-01T12:00:00Z"), keys: map[string]*attest.Key{}, as: map[string]*Actor{}}
	st, err := store.Open(w.ctx, filepath.Join(t.TempDir(), "g.db"), "", store.Options{Now: w.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w.st = st
	trust := NewTrust(filepath.Join(t.TempDir(), "trust.yaml"))
	for _, p := range principals {
		k, err := attest.Generate(attest.Ed25519)
		if err != nil {
			t.Fatal(err)
		}
		w.keys[p] = k
		if _, err := trust.Add(p, k, roles[p]); err != nil {
			t.Fatal(err)
		}
	}
	s := DefaultSettings()
	s.Quorum = quorum
	w.reg = &Registry{Store: st, Trust: trust, Settings: s}
	for _, p := range principals {
		a, err := w.reg.Actor(w.keys[p])
		if err != nil {
			t.Fatal(err)
		}
		w.as[p] = a
	}
	return w
}

// draft registers src by alice and returns the version reference.
func (w *world) draft(id, src string) string {
	w.t.Helper()
	tr, res, err := w.reg.Draft(w.ctx, w.as["alice"], id, "policy.stella", []byte(src))
	if err != nil {
		w.t.Fatalf("draft: %v %v", err, res.Diagnostics)
	}
	return tr.Subject
}

// irOf returns the stored IR bytes of a version.
func (w *world) irOf(ref string) []byte {
	w.t.Helper()
	var b []byte
	err := w.st.View(w.ctx, func(tx *store.Tx) error {
		v, err := resolve(w.ctx, tx, ref, latest)
		if err != nil {
			return err
		}
		b, err = tx.Blob(w.ctx, v.pv.IRDigest)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// run records a run of ref's IR: mode simulate or run, shadow or not,
// succeeded unless failed. It returns the run id.
func (w *world) run(ref, mode string, shadow, failed bool) string {
	w.t.Helper()
	ir := w.irOf(ref)
	id, v, _, _ := store.ParsePolicyRef(ref)
	m := store.RunMeta{Mode: mode, PolicyID: id, PolicyVersion: v, IR: ir, Shadow: shadow, Env: []engine.KV{},
		EvaluationTime: w.clock.text(0), StartedAt: w.clock.now(), CompletedAt: w.clock.now()}
	var req store.RecordRequest
	if failed {
		req = store.RecordRequest{Meta: m, Record: run.FailedRecord(w.st.Tenant(), m, errors.New("snapshot unreadable"))}
	} else {
		res := &engine.Result{SchemaVersion: engine.SchemaVersion, Policy: engine.PolicyRef{ID: id, Digest: canon.Digest(ir), Syntax: "stella-dsl@1"},
			Inputs: engine.InputsRef{SBOMs: []engine.SBOMRef{}, InputsHash: canon.Digest([]byte(mode + w.clock.text(0)))},
			Env:    []engine.KV{}, EvaluationTime: w.clock.text(0), Shadow: shadow, Verdict: engine.VerdictPassed, Findings: []engine.Finding{}}
		res.Digests.Findings = canon.Digest([]byte("[]"))
		res.Digests.Explains = store.ExplainsDigest(nil)
		req = store.RecordRequest{Meta: m, Record: run.NewRecord(w.st.Tenant(), m, res), Result: res}
	}
	if _, _, err := w.st.RecordRun(w.ctx, req); err != nil {
		w.t.Fatalf("record run: %v", err)
	}
	if !failed && !w.noReplay {
		w.replayed(req.Record.RunID, req.Record.Outputs.Findings)
	}
	w.clock.advance(time.Second)
	return req.Record.RunID
}

// replayed records what `policy replay` records for runID: an event
// saying it replayed to findings.
func (w *world) replayed(runID, findings string) {
	w.t.Helper()
	err := w.st.Update(w.ctx, func(tx *store.Tx) error {
		_, err := tx.Append(w.ctx, EventRunReplayed, "cli", runID, map[string]any{"runId": runID, "identical": true, "findingsDigest": findings})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func approve(note string) ApproveRequest {
	return ApproveRequest{Note: note, AckSimulation: true, AckDeterminism: true}
}

// refused fails the test unless err is a governance refusal by guard whose
// message contains want.
func refused(t *testing.T, err error, guard, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a refusal by %s, got success", guard)
	}
	if fail.KindOf(err) != fail.Governance || GuardOf(err) != guard {
		t.Fatalf("want a refusal by guard %s (exit 3), got kind %d guard %q: %v", guard, fail.KindOf(err), GuardOf(err), err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal %q does not mention %q", err, want)
	}
}

func (w *world) state(ref string) string {
	w.t.Helper()
	var s string
	err := w.st.View(w.ctx, func(tx *store.Tx) error {
		v, err := resolve(w.ctx, tx, ref, latest)
		s = v.lc.State
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
