// Command seedruns fills a stella database with recorded runs, for timing
// `stella policy history` over a long history (scripts/bench.sh). Each run
// is a real one: the 20-rule synthetic policy (internal/synth) evaluated by
// the engine over a small synthetic input set, at a different evaluation
// time each, recorded through the store as `stella policy run` records it.
//
//	go run ./tools/seedruns -db /tmp/history.db -runs 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/synth"
)

func main() {
	db := flag.String("db", "", "database to fill (created if missing)")
	runs := flag.Int("runs", 10000, "runs to record")
	flag.Parse()
	if *db == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: seedruns -db FILE [-runs N]")
		os.Exit(2)
	}
	if err := seed(context.Background(), *db, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "seedruns:", err)
		os.Exit(1)
	}
}

func seed(ctx context.Context, db string, n int) error {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ev, err := synth.Evaluate(ctx, synth.Config{Seed: 1, Components: 40, Advisories: 80, VEX: 4, Hit: 0.3}, 20, start)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		res, err := ev.Evaluate(ctx, at)
		if err != nil {
			return err
		}
		meta := store.RunMeta{Mode: store.ModeRun, PolicyID: ev.Policy.Policy.PolicyID, IR: ev.Policy.IR, Env: ev.Env,
			EvaluationTime: at.Format(time.RFC3339), StartedAt: at, CompletedAt: at.Add(40 * time.Millisecond)}
		if _, _, err := st.RecordRun(ctx, store.RecordRequest{Meta: meta, Record: run.NewRecord(st.Tenant(), meta, res), Result: res}); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d runs of %d findings each\n", db, n, len(ev.Match.Pairs))
	return nil
}
