package run_test

import (
	"context"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// TestSummaryHistoryShow records a signed and an unsigned run and reads
// them back as policy run, policy history and policy runs show do.
func TestSummaryHistoryShow(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := run.ListRuns(ctx, st, store.RunFilter{}); err != nil || h == nil || len(h) != 0 {
		t.Fatalf("empty history: %v %v", h, err)
	}
	for _, tc := range []struct {
		name       string
		at         time.Time
		key        *attest.Key
		wantSigner string
	}{
		{"signed", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), key, key.ID},
		{"unsigned", time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run.Evaluate(ctx, run.Spec{Policy: policy(t), Files: files(), At: tc.at, Mode: store.ModeSimulate, Record: true})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := run.Record(ctx, st, out, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			s := rec.Summary()
			if s.RunID != rec.Record.RunID || s.Signed != (tc.key != nil) || s.Signer != tc.wantSigner || s.Findings != len(out.Result.Findings) ||
				s.FindingsDigest != out.Result.Digests.Findings || s.EvaluationTime != tc.at.Format(time.RFC3339) {
				t.Fatalf("summary %+v", s)
			}
			shown, err := run.Show(ctx, st, s.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if shown.Run.RunID != s.RunID || shown.Record.RunID != s.RunID || shown.Record.Stats.Findings != s.Findings {
				t.Fatalf("show %s: run %s, record %s", s.RunID, shown.Run.RunID, shown.Record.RunID)
			}
		})
	}
	h, err := run.ListRuns(ctx, st, store.RunFilter{Limit: 1})
	if err != nil || len(h) != 1 {
		t.Fatalf("history limit 1: %d runs, %v", len(h), err)
	}
	if vs, err := run.ListViolations(ctx, st, run.ViolationRequest{}, nil); err != nil || len(vs) == 0 || vs[0].Runs != 2 {
		t.Fatalf("violations of two runs with blocked findings: %+v %v", vs, err)
	}
	if vs, err := run.ListViolations(ctx, st, run.ViolationRequest{Policy: "nope"}, nil); err != nil || vs == nil || len(vs) != 0 {
		t.Fatalf("no violations: %v %v", vs, err)
	}
	if _, err := run.Show(ctx, st, "run:nope"); err == nil {
		t.Fatal("show of an unknown run: no error")
	}
}

func TestRecordFeeds(t *testing.T) {
	for _, tc := range []struct {
		record string
		want   int
	}{
		{`{"inputs":{"feeds":[{"name":"osv","digest":"sha256:0f"}]}}`, 1},
		{`{"inputs":{}}`, 0},
		{`not json`, 0},
	} {
		if got := run.RecordFeeds([]byte(tc.record)); len(got) != tc.want {
			t.Errorf("RecordFeeds(%s) = %v", tc.record, got)
		}
	}
}
