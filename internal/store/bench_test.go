package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/synth"
)

// benchAt is the evaluation time of the benchmark runs.
var benchAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// evaluated caches synthetic evaluations across -count runs of a benchmark.
var evaluated sync.Map // synth.Config → *synth.Evaluation

func evaluation(b *testing.B, c synth.Config) *synth.Evaluation {
	b.Helper()
	if ev, ok := evaluated.Load(c); ok {
		return ev.(*synth.Evaluation)
	}
	ev, err := synth.Evaluate(context.Background(), c, 20, benchAt)
	if err != nil {
		b.Fatal(err)
	}
	evaluated.Store(c, ev)
	return ev
}

// benchMeta is the run metadata of run i: each i is another run id.
func benchMeta(ev *synth.Evaluation, i int) store.RunMeta {
	return store.RunMeta{Mode: store.ModeRun, PolicyID: ev.Policy.Policy.PolicyID, IR: ev.Policy.IR,
		Env:            []engine.KV{{Key: "exposure", Value: "internet"}, {Key: "run", Value: fmt.Sprint(i)}},
		EvaluationTime: benchAt.Format(time.RFC3339), StartedAt: benchAt, CompletedAt: benchAt.Add(time.Second)}
}

// BenchmarkRecordRun100k persists a run of about 100k findings with their
// explain traces (a synthetic 70k-component SBOM against 200k advisories,
// 20 rules): what `stella policy run` does after evaluating. Target < 5 s.
func BenchmarkRecordRun100k(b *testing.B) {
	ev := evaluation(b, synth.Config{Seed: 1, Components: 70_000, Advisories: 200_000, Hit: 0.9})
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "b.db"), "", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		m := benchMeta(ev, i)
		i++
		if _, _, err := s.RecordRun(ctx, store.RecordRequest{Meta: m, Record: run.NewRecord(s.Tenant(), m, ev.Result), Result: ev.Result}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ev.Result.Findings)), "findings/run")
	b.ReportMetric(float64(i*len(ev.Result.Findings))/b.Elapsed().Seconds(), "findings/s")
}

// history is the file of a database holding 10k recorded runs, built once
// per process and written anew for each benchmark run.
var history struct {
	once sync.Once
	db   []byte
	err  error
}

func historyDB(b *testing.B) string {
	b.Helper()
	history.once.Do(func() {
		history.db, history.err = seedHistory(filepath.Join(b.TempDir(), "seed.db"), 10_000)
	})
	if history.err != nil {
		b.Fatal(history.err)
	}
	p := filepath.Join(b.TempDir(), "history.db")
	if err := os.WriteFile(p, history.db, 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// seedHistory records n runs of a small synthetic evaluation (10 findings
// each) and returns the closed database's bytes.
func seedHistory(path string, n int) ([]byte, error) {
	ev, err := synth.Evaluate(context.Background(), synth.Config{Seed: 1, Components: 40, Advisories: 80, VEX: 4, Hit: 0.3}, 20, benchAt)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	s, err := store.Open(ctx, path, "", store.Options{})
	if err != nil {
		return nil, err
	}
	for i := range n {
		m := benchMeta(ev, i)
		if _, _, err := s.RecordRun(ctx, store.RecordRequest{Meta: m, Record: run.NewRecord(s.Tenant(), m, ev.Result), Result: ev.Result}); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		return nil, err
	}
	return os.ReadFile(path)
}

// BenchmarkHistory10k lists runs from a history of 10k, as `stella policy
// history` does: the newest 50 (its default) and all of them. Target < 100 ms.
func BenchmarkHistory10k(b *testing.B) {
	path := historyDB(b)
	ctx := context.Background()
	for _, limit := range []int{50, 0} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for b.Loop() {
				s, err := store.Open(ctx, path, "", store.Options{MustExist: true})
				if err != nil {
					b.Fatal(err)
				}
				var runs []*store.Run
				err = s.View(ctx, func(tx *store.Tx) error {
					runs, err = tx.Runs(ctx, store.RunFilter{Limit: limit})
					return err
				})
				s.Close()
				if err != nil {
					b.Fatal(err)
				}
				want := 10_000
				if limit > 0 {
					want = limit
				}
				if len(runs) != want {
					b.Fatalf("%d runs, want %d", len(runs), want)
				}
			}
		})
	}
}
