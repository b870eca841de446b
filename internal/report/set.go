package report

import (
	"fmt"
	"io"

	"github.com/stella-policy/stella/internal/policyset"
)

// SetMembers lists the members of an evaluated policy set, written under
// the set's table (docs/governance.md "Evaluating a set").
func SetMembers(w io.Writer, res *policyset.Result, o Options) error {
	printf(w, "\nset %s (%d policies)\n", res.Set.Digest, len(res.Set.Members))
	t := NewTable(w, o.TTY, "POLICY", "NAME", "ENFORCEMENT", "SCOPE", "APPLIES", "FINDINGS", "VERDICT", "DECIDED", "IR DIGEST")
	for _, m := range res.Set.Members {
		t.Append(m.Policy, m.Name, m.Enforcement, m.Scope, fmt.Sprint(m.Applies), fmt.Sprint(m.Findings), m.Verdict, fmt.Sprint(m.Decided), m.Digest)
	}
	if err := t.Render(); err != nil {
		return err
	}
	if res.Set.Uncovered > 0 {
		printf(w, "%d findings are in no evaluated policy's scope\n", res.Set.Uncovered)
	}
	return nil
}
