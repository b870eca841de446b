package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/text"
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
		printf(w, "evidence %s, %s, replayed with no database\n", rep.Evidence, state)
	}
	if rep.Identical {
		word := "identical"
		if rep.VerdictUnchecked != "" {
			word = "identical findings" // the verdict was not compared
		}
		printf(w, "%s %s: %d findings, findings %s, explains %s\n", s.paint(s.good, word), rep.RunID,
			rep.Replay.Findings, rep.Replay.FindingsDigest, rep.Replay.ExplainsDigest)
		if rep.VerdictUnchecked != "" {
			printf(w, "  verdict not re-checked: %s\n", rep.VerdictUnchecked)
		}
		return nil
	}
	printf(w, "%s %s\n", s.paint(s.bad, "DIFFERENT"), rep.RunID)
	for _, side := range []struct {
		name string
		d    run.ReplayDigests
	}{{"recorded", rep.Original}, {"replayed", rep.Replay}} {
		verdict := ""
		if side.d.Verdict != "" {
			verdict = ", verdict " + side.d.Verdict
		}
		printf(w, "  %s  %d findings, findings %s, explains %s%s\n", side.name, side.d.Findings, side.d.FindingsDigest, side.d.ExplainsDigest, verdict)
	}
	if f := rep.First; f != nil {
		printf(w, "  first difference: %s (%s)", f.FindingID, f.Kind)
		if len(f.Fields) > 0 {
			printf(w, " in %v", f.Fields)
		}
		printLine(w)
		if f.Original != nil {
			printf(w, "    recorded  %s\n", f.Original)
		}
		if f.Replay != nil {
			printf(w, "    replayed  %s\n", f.Replay)
		}
	}
	return nil
}

// RunSummary writes the terminal form of what `policy run` recorded
// (docs/runs.md "A run, end to end").
func RunSummary(w io.Writer, s *run.Summary, o Options) error {
	p := newPalette(o.Color)
	again := ""
	if s.Existing {
		again = " (already recorded: same policy, inputs, env and time)"
	}
	printf(w, "run %s%s\n", p.paint(p.bold, s.RunID), again)
	shadow := ""
	if s.Shadow {
		shadow = " (shadow: not enforced)"
	}
	printf(w, "  policy    %s %s\n", policyRef(s.PolicyID, s.PolicyVersion), s.IRDigest)
	if s.Set != nil {
		for _, m := range s.Set.Members {
			printf(w, "    %s\n", m)
		}
	}
	printf(w, "  snapshot  %s\n  evaluated %s\n", s.SnapshotID, s.EvaluationTime)
	printf(w, "  verdict   %s%s\n", p.verdictWord(s.Verdict), shadow)
	v := s.ByVerdict
	printf(w, "  findings  %d: %d blocked, %d warned, %d passed, %d quieted, %d ignored\n", s.Findings, v.Blocked, v.Warned, v.Passed, v.Quieted, v.Ignored)
	if s.Unchecked != nil {
		printf(w, "  unchecked %s\n", runUnchecked(s))
	}
	if s.Signed {
		printf(w, "  signed    policy.run@1 by %s\n", s.Signer)
	} else {
		printf(w, "  signed    no\n")
	}
	return nil
}

// runUnchecked is policy run's unchecked line (docs/runs.md "A run, end
// to end"): "3 components (Debian:12 2, PyPI 1), budget 0 (--unchecked-budget)".
func runUnchecked(s *run.Summary) string {
	out := text.Count(*s.Unchecked, "component", "components")
	if len(s.UncheckedByEcosystem) > 0 {
		out += " (" + ecosystemList(s.UncheckedByEcosystem) + ")"
	}
	if s.UncheckedBudget != nil {
		out += ", budget " + s.UncheckedBudget.String()
	}
	return out
}

// policyRef is P-n@v, or the policy id alone for a policy file.
func policyRef(id string, version int) string {
	if version > 0 {
		return fmt.Sprintf("%s@%d", id, version)
	}
	return id
}

// History writes `policy history`'s table (docs/runs.md "History").
func History(w io.Writer, runs run.History, o Options) error {
	if len(runs) == 0 {
		_, err := printLine(w, "no runs recorded")
		return err
	}
	t := NewTable(w, o.TTY, "RUN", "POLICY", "MODE", "STATUS", "VERDICT", "FINDINGS", "UNCHECKED", "STARTED", "DURATION")
	for _, r := range runs {
		mode := r.Mode
		if r.Shadow {
			mode += " (shadow)"
		}
		t.Append(r.RunID, policyRef(r.PolicyID, r.PolicyVersion), mode, r.Status, verdictText(r.Verdict, o.Color), fmt.Sprint(r.Findings),
			count(r.Unchecked), r.StartedAt,
			(time.Duration(r.DurationMS) * time.Millisecond).String())
	}
	return t.Render()
}

// count is a recorded count, "–" when the record predates it.
func count(n *int) string {
	if n == nil {
		return Dash("")
	}
	return fmt.Sprint(*n)
}

// StoredRun writes `policy runs show`'s form of one recorded run: its
// record, timing and attestation, one field a line.
func StoredRun(w io.Writer, s *run.Stored, o Options) error {
	r, rec := s.Run, &s.Record
	v := rec.Stats.ByVerdict
	rows := [][2]any{
		{"run", r.RunID},
		{"policy", policyRef(r.PolicyID, r.PolicyVersion)},
		{"ir digest", r.IRDigest},
		{"mode", fmt.Sprintf("%s, shadow %v", r.Mode, r.Shadow)},
		{"status", r.Status},
		{"verdict", verdictText(r.Verdict, o.Color)},
		{"snapshot", Dash(r.SnapshotID)},
		{"inputs hash", r.InputsHash},
		{"evaluation time", r.EvaluationTime},
		{"started", r.StartedAt},
		{"duration", fmt.Sprintf("%dms", r.DurationMS)},
		{"findings", fmt.Sprintf("%d (passed %d, warned %d, blocked %d, quieted %d, ignored %d)", r.Findings,
			v.Passed, v.Warned, v.Blocked, v.Quieted, v.Ignored)},
		{"rules fired", fmt.Sprint(rec.Stats.RulesFired)},
		{"unknowns", fmt.Sprint(rec.Stats.Unknowns)},
		{"unchecked", count(r.Unchecked)},
		{"findings digest", Dash(r.FindingsDigest)},
		{"explains digest", Dash(r.ExplainsDigest)},
		{"signed", fmt.Sprint(r.Signed)},
	}
	if rec.Set != nil {
		// A set run: each member, after the set's digest.
		var ms [][2]any
		for _, m := range rec.Set.Members {
			ms = append(ms, [2]any{"set member", m.String()})
		}
		rows = slices.Insert(rows, 3, ms...)
	}
	if b := rec.Inputs.UncheckedBudget; b != nil {
		rows = append(rows, [2]any{"unchecked budget", b.String()})
	}
	for _, kv := range rec.Inputs.Env {
		rows = append(rows, [2]any{"env " + kv.Key, kv.Value})
	}
	if r.Error != "" {
		rows = append(rows, [2]any{"error", r.Error})
	}
	for _, row := range rows {
		if _, err := printf(w, "%-16s %s\n", row[0], row[1]); err != nil {
			return err
		}
	}
	return nil
}

// Violations writes `policy violations`' table and count (docs/runs.md
// "Violations and state").
func Violations(w io.Writer, vs run.Violations, o Options) error {
	t := NewTable(w, o.TTY, "VERDICT", "SEVERITY", "PURL", "ADVISORY", "RUNS", "FIRST SEEN", "LAST SEEN", "POLICIES", "SOURCES")
	for _, v := range vs {
		t.Append(v.Verdict, v.Severity, v.Purl, v.AdvisoryID, fmt.Sprint(v.Runs), v.FirstSeen, v.LastSeen, strings.Join(v.Policies, ","), strings.Join(v.Sources, ","))
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := printf(w, "%d violations\n", len(vs))
	return err
}
