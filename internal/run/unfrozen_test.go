package run_test

import (
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// TestRefuseLoose: loose files are refused as inputs_unfrozen naming each
// cursor once, and the refusal is counted by policy metrics.
func TestRefuseLoose(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	open := func() (*store.Store, error) { return st, nil }
	if err := run.RefuseLoose(ctx, open, map[string][]string{"sbom": nil}); err != nil {
		t.Fatalf("nothing given: %v", err)
	}
	err := run.RefuseLoose(ctx, func() (*store.Store, error) { return nil, fail.New(fail.NotFound, "no database") },
		map[string][]string{"kev": {"k.json"}, "sbom": {"a.json"}, "epss": {"e.csv"}})
	want := "inputs_unfrozen: loose input files given (--sbom, --epss, --kev); policy run evaluates frozen inputs only — missing input cursors: sbom_digest, signals_digest."
	if !fail.Is(err, fail.Unfrozen) || err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Fatalf("err = %v", err)
	}
	if err := run.Unfrozen(ctx, func() (*store.Store, error) { return store.Open(ctx, st.Path(), st.Tenant(), store.Options{}) }, "no --snapshot given", []string{"snapshot_id"}); !fail.Is(err, fail.Unfrozen) {
		t.Fatalf("Unfrozen = %v", err)
	}
	if m, err := run.ReadMetrics(ctx, st); err != nil || m.Unfrozen != 1 {
		t.Fatalf("metrics %+v, %v", m, err)
	}
}
