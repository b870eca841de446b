package report

import (
	"io"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
)

// simulation is the JSON form of a simulation with a baseline policy.
type simulation struct {
	SchemaVersion string         `json:"schemaVersion"`
	Candidate     *engine.Result `json:"candidate"`
	Baseline      *engine.Result `json:"baseline"`
	Diff          *engine.Diff   `json:"diff"`
}

// SimulationValue is the JSON (and YAML) form of a simulation
// (docs/output.md): the result; with a delta, the result's members then
// "delta" (not covered by digests.result, which is the evaluation's own);
// with a baseline policy, stella.simulation@1 with both results and their
// diff.
func SimulationValue(res, base *engine.Result, diff *engine.Diff, d *delta.Delta) any {
	if diff != nil {
		return simulation{SchemaVersion: "stella.simulation@1", Candidate: res, Baseline: base, Diff: diff}
	}
	if d != nil {
		return struct {
			*engine.Result
			Delta *delta.Delta `json:"delta"`
		}{res, d}
	}
	return res
}

// Simulation writes a simulation in format (one of Formats): the table
// followed by the diff against a baseline policy or the delta
// (o.Delta), or the format's rendering of the result.
func Simulation(w io.Writer, format string, res *engine.Result, diff *engine.Diff, o Options) error {
	if format != "table" {
		return Write(w, format, res, o)
	}
	if err := Table(w, res, o); err != nil {
		return err
	}
	if diff != nil {
		printLine(w)
		return DiffTable(w, diff, o)
	}
	if o.Delta != nil {
		printLine(w)
		return DeltaTable(w, o.Delta, o)
	}
	return nil
}
