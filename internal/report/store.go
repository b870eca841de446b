package report

import (
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
)

// The terminal forms of the store commands (docs/store.md).

// StoreChecked writes `store check`: the counts checked, then each problem.
func StoreChecked(w io.Writer, rep *governance.StoreCheck, _ Options) error {
	status := "ok"
	if !rep.OK() {
		status = fmt.Sprintf("%d problem(s)", len(rep.Problems))
	}
	printf(w, "database %s (schema %d, tenant %s): %s\n", rep.Database, rep.Schema, rep.Tenant, status)
	printf(w, "  integrity_check  %s\n  audit events     %d\n  blobs            %d\n  explains         %d\n  runs             %d (%d findings)\n  snapshots        %d\n",
		rep.Integrity, rep.AuditEvents, rep.Blobs, rep.Explains, rep.Runs, rep.Findings, rep.Snapshots)
	for _, p := range rep.Problems {
		printf(w, "  problem: %s\n", p)
	}
	return nil
}

// Pruned writes what `store prune` removed, or would remove.
func Pruned(w io.Writer, rep *run.Pruned, _ Options) error {
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	_, err := printf(w, "%s %d runs (%d findings), %d explain traces and %d blobs from before %s\n",
		verb, rep.Runs, rep.Findings, rep.Explains, rep.Blobs, rep.Before)
	return err
}
