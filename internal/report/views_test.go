package report

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/sync"
)

// TestViews renders the terminal forms of the lessons, audit log, store and
// sync commands, and the structured forms of a value.
func TestViews(t *testing.T) {
	l := governance.Lesson{ID: "L-1", Type: "failure", Status: "deferred", PolicyID: "P-1", Title: "run blocked\x1b[2K", SourceRun: "run:1",
		EvaluationTime: "2026-12-01T00:00:00Z", Gate: "critical", DeferredUntil: "2026-12-08T00:00:00Z", Description: "d", ProposedAction: "p", Evidence: []byte(`{"x":1}`)}
	for _, tt := range []struct {
		name   string
		render func(w *bytes.Buffer) error
		want   string
	}{
		{"lessons", func(w *bytes.Buffer) error { return Lessons(w, []governance.Lesson{l}, Options{}) }, "| L-1    | failure | deferred | P-1"},
		{"lesson", func(w *bytes.Buffer) error { return Lesson(w, l, Options{}) },
			"L-1  failure  deferred\n  run blocked\\x1b[2K\n  run        run:1 (P-1, evaluated 2026-12-01T00:00:00Z)\n  gate       critical\n  deferred   2026-12-08T00:00:00Z\n  what       d\n  proposed   p\n  evidence   {\"x\":1}\n"},
		{"lesson moved", func(w *bytes.Buffer) error { return LessonMoved(w, l, "lesson.deferred", "alice") }, "L-1  lesson.deferred by alice\n  status  deferred\n"},
		{"audit log", func(w *bytes.Buffer) error {
			return AuditLog(w, governance.AuditEvents{{Seq: 7, At: "2026-12-01T00:00:00Z", Type: "policy.drafted", Actor: "alice", Subject: "P-1@1"}}, Options{})
		}, "| 7   | 2026-12-01T00:00:00Z | policy.drafted | alice | P-1@1   |"},
		{"pruned", func(w *bytes.Buffer) error {
			return Pruned(w, &run.Pruned{Before: "2025-01-01T00:00:00Z", Runs: 2, Findings: 5, Explains: 4, Blobs: 1, DryRun: true}, Options{})
		}, "would remove 2 runs (5 findings), 4 explain traces and 1 blobs from before 2025-01-01T00:00:00Z\n"},
		{"sync registered", func(w *bytes.Buffer) error {
			return SyncRegistered(w, &sync.Registration{Site: "s1", Label: "lab", Tenant: "default", Server: "pg", KeyID: "sha256:k", Role: "r", Changed: true, Previous: "sha256:o"}, Options{})
		}, "site s1 (lab) of tenant default re-registered (was sha256:o) in postgres pg: key sha256:k, role r\n"},
		{"ndjson", func(w *bytes.Buffer) error { return Value(w, "ndjson", []governance.Lesson{l, l}) }, "\"id\":\"L-1\""},
		{"yaml", func(w *bytes.Buffer) error { return Value(w, "yaml", map[string]any{"a": []int{1, 2}, "b": "true"}) }, "a:\n  - 1\n  - 2\nb: \"true\"\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b.Bytes(), []byte(tt.want)) {
				t.Fatalf("got\n%s\nwant it to contain\n%s", b.String(), tt.want)
			}
		})
	}
	if err := Value(&bytes.Buffer{}, "sarif", l); err == nil || err.Error() != "--format sarif is not supported by this command" {
		t.Errorf("Value(sarif) = %v", err)
	}
}
