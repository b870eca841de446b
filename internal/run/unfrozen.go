package run

import (
	"context"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Runs evaluate frozen inputs only (docs/runs.md "A run, end to end"): loose
// input files, or no snapshot, are refused as inputs_unfrozen, exit 7, and
// the refusal is an audit event (EventInputsUnfrozen) that `policy metrics`
// counts.

// LooseInputs are the loose-input flags policy run refuses, each with the
// input cursor a frozen run has instead.
var LooseInputs = []struct{ Flag, Cursor string }{
	{"sbom", "sbom_digest"},
	{"advisories", "advisory_snapshot"},
	{"vex", "vex_set"},
	{"reachability", "reachability_hash"},
	{"epss", "signals_digest"},
	{"kev", "signals_digest"},
	{"exceptions", "exceptions_digest"},
}

// RefuseLoose refuses the loose input files given (flag → files) as
// Unfrozen, naming the cursors they stand for; nil when none is given.
func RefuseLoose(ctx context.Context, open func() (*store.Store, error), given map[string][]string) error {
	var flags, cursors []string
	for _, l := range LooseInputs {
		if len(given[l.Flag]) > 0 {
			flags = append(flags, "--"+l.Flag)
			if !slices.Contains(cursors, l.Cursor) {
				cursors = append(cursors, l.Cursor)
			}
		}
	}
	if len(flags) == 0 {
		return nil
	}
	return Unfrozen(ctx, open, "loose input files given ("+strings.Join(flags, ", ")+")", cursors)
}

// Unfrozen records a policy.inputs_unfrozen event in the store open opens
// (best effort) and returns the exit-7 error naming the cursors the run is
// missing.
func Unfrozen(ctx context.Context, open func() (*store.Store, error), why string, cursors []string) error {
	if st, err := open(); err == nil {
		st.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Append(ctx, EventInputsUnfrozen, "cli", "", map[string]any{"reason": why, "missingCursors": cursors})
			return err
		})
		st.Close()
	}
	return fail.New(fail.Unfrozen, "inputs_unfrozen: %s; policy run evaluates frozen inputs only — missing input cursors: %s. Freeze them with `stella snapshot create … -o DIR`, `stella snapshot import DIR`, then pass --snapshot ID",
		why, strings.Join(cursors, ", "))
}
