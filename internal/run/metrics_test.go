package run_test

import (
	"context"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// TestReadMetrics counts an empty history, then a recorded shadow
// simulation and a refused run.
func TestReadMetrics(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m, err := run.ReadMetrics(ctx, st)
	if err != nil || m.Runs != 0 || len(m.ByStatus) != 2 || len(m.Buckets) != len(run.DurationBuckets) {
		t.Fatalf("empty: %+v %v", m, err)
	}
	out, err := run.Evaluate(ctx, run.Spec{Policy: policy(t), Files: files(), At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Shadow: true,
		Mode: store.ModeSimulate, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Record(ctx, st, out, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Append(ctx, run.EventInputsUnfrozen, "cli", "", map[string]any{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if m, err = run.ReadMetrics(ctx, st); err != nil {
		t.Fatal(err)
	}
	s := out.Result.Summary.ByVerdict
	if m.Runs != 1 || m.ByStatus[store.StatusSucceeded] != 1 || m.Shadow != 1 || m.Unfrozen != 1 ||
		m.ByVerdict["blocked"] != s.Blocked || m.ByVerdict["passed"] != s.Passed || m.Buckets[len(m.Buckets)-1] != 1 {
		t.Fatalf("metrics %+v", m)
	}
	if total := m.ByVerdict["passed"] + m.ByVerdict["warned"] + m.ByVerdict["blocked"] + m.ByVerdict["quieted"] + m.ByVerdict["ignored"]; total == 0 || total != len(out.Result.Findings) {
		t.Fatalf("findings by verdict %v, want the run's %d findings", m.ByVerdict, len(out.Result.Findings))
	}
}
