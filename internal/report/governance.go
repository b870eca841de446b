package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/text"
)

// Renderings of the governance commands (docs/governance.md): transitions,
// versions, status, tenant state, exceptions, conflicts and dependencies.

// Transition writes the outcome of a state-changing governance command.
func Transition(w io.Writer, t *governance.Transition, o Options) error {
	p := newPalette(o.Color)
	printf(w, "%s  %s by %s (%s)\n", p.paint(p.bold, t.Subject), t.Action, t.Actor.Principal, text.Abbrev(t.Actor.KeyID))
	printf(w, "  state       %s\n", t.State)
	if t.Superseded != "" {
		printf(w, "  superseded  %s (now archived)\n", t.Superseded)
	}
	if t.Evidence != "" {
		printf(w, "  evidence    %s\n", t.Evidence)
	}
	if r := t.Approvals; r != nil {
		printf(w, "  approvals   %d of %d%s\n", len(r.Approvers), r.Quorum, listOf(": ", r.Approvers))
		notCounted(w, "  not counted ", r.Rejected)
	}
	if t.Statement != "" {
		printf(w, "  statement   %s (audit event %d)\n", t.Statement, t.AuditSeq)
	}
	return nil
}

// Versions writes `policy versions`.
func Versions(w io.Writer, vs []governance.VersionView, o Options) error {
	t := NewTable(w, o.TTY, "VERSION", "STATE", "IR DIGEST", "AUTHOR", "APPROVALS", "CREATED")
	for _, v := range vs {
		t.Append(fmt.Sprintf("%s@%d", v.PolicyID, v.Version), v.State, text.Abbrev(v.IRDigest), v.Author,
			fmt.Sprintf("%d/%d%s", len(v.Approvers), v.Quorum, listOf(" ", v.Approvers)), v.CreatedAt)
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, v := range vs {
		notCounted(w, fmt.Sprintf("%s@%d not counted: ", v.PolicyID, v.Version), v.NotCounted)
	}
	return nil
}

// notCounted writes a line per approval that does not count, with the
// reason (docs/governance.md "Submission rounds"): a table showing only
// the approvals that count would hide an approval of a round sent back.
func notCounted(w io.Writer, prefix string, rs []governance.Rejected) {
	for _, r := range rs {
		printf(w, "%s%s (%s): %s\n", prefix, r.Principal, text.Abbrev(r.KeyID), r.Reason)
	}
}

// PolicyStatus writes `policy status`.
func PolicyStatus(w io.Writer, ps []governance.PolicyStatus, o Options) error {
	t := NewTable(w, o.TTY, "POLICY", "NAME", "ACTIVE", "LATEST", "PENDING")
	for _, p := range ps {
		active := "-"
		if p.Active != nil {
			active = fmt.Sprintf("@%d", p.Active.Version)
		}
		var pending []string
		for _, v := range p.Pending {
			pending = append(pending, fmt.Sprintf("@%d %s %d/%d", v.Version, v.State, len(v.Approvers), v.Quorum))
		}
		t.Append(p.PolicyID, p.Name, active, fmt.Sprintf("@%d %s", p.Latest.Version, p.Latest.State), strings.Join(pending, "; "))
	}
	return t.Render()
}

// TenantState writes `policy state`.
func TenantState(w io.Writer, s *governance.State, o Options) error {
	t := NewTable(w, o.TTY, "TENANT", "POLICIES", "ACTIVE", "DRAFTS", "PENDING REVIEW", "CONFLICTS", "VIOLATIONS "+s.Window, "LESSONS PENDING")
	t.Append(s.Tenant, fmt.Sprint(s.Policies), fmt.Sprint(s.Active), fmt.Sprint(s.Drafts), fmt.Sprint(s.PendingReview),
		fmt.Sprintf("%d BLOCKING, %d WARNING", s.Conflicts["BLOCKING"], s.Conflicts["WARNING"]),
		fmt.Sprintf("%d (%d blocked)", s.Violations, s.Blocked), fmt.Sprint(s.LessonsPending))
	return t.Render()
}

// Exceptions writes `exception list`.
func Exceptions(w io.Writer, xs []governance.ExceptionView, o Options) error {
	t := NewTable(w, o.TTY, "ID", "STATE", "EFFECT", "SCOPE", "OWNER", "EXPIRES")
	for _, x := range xs {
		effect := x.Effect
		if arg := x.Severity + x.Control; arg != "" {
			effect += ":" + arg
		}
		t.Append(x.ID, x.State, effect, strings.Join(append(append([]string{}, x.Vulns...), x.Purls...), " "), x.Owner, x.Expires)
	}
	return t.Render()
}

// Exception writes `exception show`: the terms, then the signed history.
func Exception(w io.Writer, x *governance.ExceptionView, _ Options) error {
	row := func(k, v string) {
		if v != "" {
			printf(w, "  %-13s %s\n", k, v)
		}
	}
	printf(w, "%s  %s\n", x.ID, x.State)
	row("vulns", strings.Join(x.Vulns, ", "))
	row("purls", strings.Join(x.Purls, ", "))
	row("effect", strings.Trim(x.Effect+" "+x.Severity+x.Control, " "))
	row("justification", x.Justification)
	row("owner", x.Owner)
	row("policy", x.PolicyID)
	row("timebox", x.Effective+" → "+x.Expires)
	row("ticket", x.Ticket)
	row("requester", x.Requester)
	row("approvers", strings.Join(x.Approvers, ", "))
	for _, h := range x.History {
		reason := ""
		if h.Reason != "" {
			reason = ": " + h.Reason
		}
		printf(w, "  #%-4d %-20s %s by %s (%s)%s\n", h.Seq, h.Action, h.At, h.Principal, text.Abbrev(h.KeyID), reason)
	}
	return nil
}

// Conflicts writes `policy conflicts`: each conflict with its explanation
// and recommended action, then the counts.
func Conflicts(w io.Writer, rep *policyset.ConflictReport, o Options) error {
	p := newPalette(o.Color)
	for _, c := range rep.Conflicts {
		var sev any = c.Severity
		if c.Severity == policyset.Blocking {
			sev = p.paint(p.bad, c.Severity)
		}
		pols := c.PolicyA
		if c.PolicyB != c.PolicyA {
			pols += " / " + c.PolicyB
		}
		printf(w, "%s  %s  %s  %s\n  %s\n  → %s\n", sev, c.Type, pols, c.Subject, c.Explanation, c.Action)
	}
	noun := "conflicts"
	if len(rep.Conflicts) == 1 {
		noun = "conflict"
	}
	_, err := printf(w, "%d %s among %d policies (%s): %d BLOCKING, %d WARNING\n", len(rep.Conflicts), noun, len(rep.Policies),
		strings.Join(rep.Policies, ", "), rep.Blocking, rep.Warnings)
	return err
}

// Dependencies writes the edges of `policy deps --format table`.
func Dependencies(w io.Writer, g *policyset.Graph, o Options) error {
	t := NewTable(w, o.TTY, "FROM", "TO", "KIND", "WHY")
	for _, e := range g.Edges {
		t.Append(e.From, e.To, e.Kind, e.Explanation)
	}
	return t.Render()
}

// DependencyGraph writes `policy deps` in format: dot (Graphviz),
// mermaid, json, yaml or table (Dependencies); any other is refused.
func DependencyGraph(w io.Writer, format string, g *policyset.Graph, o Options) error {
	switch format {
	case "dot":
		return g.WriteDOT(w)
	case "mermaid":
		return g.WriteMermaid(w)
	case "table":
		return Dependencies(w, g, o)
	case "json", "yaml":
		return Value(w, format, g)
	}
	return fail.New(fail.Invalid, "--format %s: policy deps writes dot, mermaid, json, yaml or table", format)
}

// StoreCheckEnd ends `store check`: nil when the database holds, else
// the first problem on w (stderr) and exit 6, reported (the report listed
// every problem).
func StoreCheckEnd(w io.Writer, rep *governance.StoreCheck) error {
	if rep.OK() {
		return nil
	}
	fmt.Fprintf(w, "stella: store check: %s\n", rep.Problems[0])
	return fail.Reported(fail.Integrity)
}

// listOf is prefix and xs joined by commas, "" when xs is empty.
func listOf(prefix string, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return prefix + strings.Join(xs, ", ")
}

// Scaffolded writes what `policy new --scaffold` wrote and the next step.
func Scaffolded(w io.Writer, path string) {
	fmt.Fprintf(w, "wrote %s: a starter CI gate (edit its rules; docs/ci.md)\nnext: stella policy lint %s\n", path, path)
}
