package report

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

func TestOutcomeFormat(t *testing.T) {
	for _, tc := range []struct {
		format string
		diff   bool
		want   string
	}{
		{"table", false, ""}, {"yaml", true, ""}, {"markdown", false, ""}, {"sarif", true, ""},
		{"csv", false, "--format csv: policy simulate writes table, json, yaml, ndjson, sarif, junit, openvex, html, markdown"},
		{"csv", true, "--format csv: policy diff writes the formats of policy simulate"},
	} {
		err := OutcomeFormat(tc.format, tc.diff)
		got := ""
		if err != nil {
			got = err.Error()
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("%s: kind %v", tc.format, fail.KindOf(err))
			}
		}
		if got != tc.want {
			t.Errorf("OutcomeFormat(%s, %v) = %q, want %q", tc.format, tc.diff, got, tc.want)
		}
	}
}

// TestSimulated checks what goes to stderr beside a simulation's outcome:
// the summary outside the table, the --fail-on new-* notice.
func TestSimulated(t *testing.T) {
	res := &engine.Result{Verdict: engine.VerdictBlocked, Summary: engine.Summary{Findings: 2}}
	out := &run.Outcome{Result: res, Snapshot: &snapshot.Snapshot{}}
	c := &run.Compared{Delta: &delta.Delta{Summary: delta.Summary{NewBlocked: 1}}}
	for _, tc := range []struct {
		name, format, failOn string
		c                    *run.Compared
		k                    fail.Kind
		info                 string
	}{
		{"table", "table", "blocked", nil, fail.Blocked, ""},
		{"json", "json", "blocked", nil, fail.Blocked, "stella: " + Summary(res) + "\n"},
		{"new-blocked", "table", "new-blocked", c, fail.Blocked,
			"stella: gate --fail-on new-blocked: BLOCKED — 1 newly blocked, 0 newly warned (the build's own verdict: blocked)\n"},
		{"new-warned json", "json", "new-warned", c, 0,
			"stella: " + Summary(res) + "\nstella: " + DeltaSummary(c.Delta) + "\nstella: gate --fail-on new-warned: passed — 1 newly blocked, 0 newly warned (the build's own verdict: blocked)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w, info bytes.Buffer
			if err := Simulated(&w, &info, tc.format, out, tc.c, tc.failOn, tc.k, Options{}); err != nil {
				t.Fatal(err)
			}
			if info.String() != tc.info {
				t.Errorf("info:\n%s\nwant:\n%s", info.String(), tc.info)
			}
			if w.Len() == 0 {
				t.Error("no outcome written")
			}
		})
	}
}
