package report

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
)

// explainPage is the fixture as `policy explain` shows a stored run of it.
func explainPage(t *testing.T) *ExplainPage {
	r := result(t)
	return &ExplainPage{Explanation: run.Explanation{RunID: "run:Shop-API-Gate:20240601T000000Z:0123456789ab", PolicyID: "P-1", PolicyVersion: 2,
		IRDigest: r.Policy.Digest, EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict,
		Feeds:    []engine.FeedRef{{Name: "osv", URL: "https://osv.dev", FetchedAt: "2024-05-31T00:00:00Z", Digest: "sha256:0f"}},
		Findings: r.Findings}}
}

// TestExplainGolden renders `policy explain`'s table (plain and coloured)
// and HTML forms of the fixture. Checked by hand when the goldens were
// written: each finding's block names the deciding rule and marks it in
// the rule chain (✓ matched, ✗ not matched, ⊘ shadowed) with the operand
// values, the evidence (VEX statements counted or rejected, signals,
// reachability, EXC-1 for the quieted finding) and, for blocked findings,
// what would change the verdict.
func TestExplainGolden(t *testing.T) {
	page := explainPage(t)
	for _, tt := range []struct {
		name   string
		render func(w *bytes.Buffer) error
	}{
		{"golden.explain.table", func(w *bytes.Buffer) error { return ExplainTable(w, page, Options{}) }},
		{"golden.explain.color", func(w *bytes.Buffer) error { return ExplainTable(w, page, Options{Color: true}) }},
		{"golden.explain.html", func(w *bytes.Buffer) error { return ExplainHTML(w, *page) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("two renderings differ (%v)", err)
			}
			checkGolden(t, tt.name, a.Bytes())
		})
	}
	var none bytes.Buffer
	page.Findings = nil
	if err := ExplainTable(&none, page, Options{}); err != nil || !bytes.HasSuffix(none.Bytes(), []byte("no findings\n")) {
		t.Errorf("no findings: %v %q", err, none.String())
	}
}
