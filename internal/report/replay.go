package report

import (
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/run"
)

// ReplayTable writes the terminal form of `policy replay` (docs/runs.md
// "Replay"): identical, or DIFFERENT with both sides' digests and the
// first differing finding.
func ReplayTable(w io.Writer, rep *run.ReplayReport, o Options) error {
	s := newPalette(o.Color)
	if rep.Evidence != "" {
		state := "UNVERIFIED (no trusted key given)"
		if rep.Verified != nil && *rep.Verified {
			state = "verified"
		}
		fmt.Fprintf(w, "evidence %s, %s, replayed with no database\n", rep.Evidence, state)
	}
	if rep.Identical {
		fmt.Fprintf(w, "%s %s: %d findings, findings %s, explains %s\n", s.paint(s.good, "identical"), rep.RunID,
			rep.Replay.Findings, rep.Replay.FindingsDigest, rep.Replay.ExplainsDigest)
		return nil
	}
	fmt.Fprintf(w, "%s %s\n", s.paint(s.bad, "DIFFERENT"), rep.RunID)
	fmt.Fprintf(w, "  recorded  %d findings, findings %s, explains %s\n", rep.Original.Findings, rep.Original.FindingsDigest, rep.Original.ExplainsDigest)
	fmt.Fprintf(w, "  replayed  %d findings, findings %s, explains %s\n", rep.Replay.Findings, rep.Replay.FindingsDigest, rep.Replay.ExplainsDigest)
	if f := rep.First; f != nil {
		fmt.Fprintf(w, "  first difference: %s (%s)", f.FindingID, f.Kind)
		if len(f.Fields) > 0 {
			fmt.Fprintf(w, " in %v", f.Fields)
		}
		fmt.Fprintln(w)
		if f.Original != nil {
			fmt.Fprintf(w, "    recorded  %s\n", f.Original)
		}
		if f.Replay != nil {
			fmt.Fprintf(w, "    replayed  %s\n", f.Replay)
		}
	}
	return nil
}
