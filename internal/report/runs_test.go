package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stella-policy/stella/internal/run"
)

// TestReplayTable renders `policy replay`'s terminal form of an identical
// replay, an unverified and a verified evidence replay, and a differing
// one.
func TestReplayTable(t *testing.T) {
	d := run.ReplayDigests{Findings: 2, FindingsDigest: "sha256:f1", ExplainsDigest: "sha256:e1"}
	d2 := run.ReplayDigests{Findings: 1, FindingsDigest: "sha256:f2", ExplainsDigest: "sha256:e2"}
	yes, no := true, false
	for _, tc := range []struct {
		name string
		rep  run.ReplayReport
		want string
	}{
		{"identical", run.ReplayReport{RunID: "run:a", Identical: true, Original: d, Replay: d},
			"identical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"evidence unverified", run.ReplayReport{RunID: "run:a", Evidence: "ev.tar", Verified: &no, Identical: true, Original: d, Replay: d},
			"evidence ev.tar, UNVERIFIED (no trusted key given), replayed with no database\nidentical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"evidence verified", run.ReplayReport{RunID: "run:a", Evidence: "ev.tar", Verified: &yes, Identical: true, Original: d, Replay: d},
			"evidence ev.tar, verified, replayed with no database\nidentical run:a: 2 findings, findings sha256:f1, explains sha256:e1\n"},
		{"different", run.ReplayReport{RunID: "run:a", Original: d, Replay: d2,
			First: &run.ReplayFinding{FindingID: "finding:1", Kind: "changed", Fields: []string{"verdict"},
				Original: json.RawMessage(`{"verdict":"blocked"}`), Replay: json.RawMessage(`{"verdict":"passed"}`)}},
			"DIFFERENT run:a\n" +
				"  recorded  2 findings, findings sha256:f1, explains sha256:e1\n" +
				"  replayed  1 findings, findings sha256:f2, explains sha256:e2\n" +
				"  first difference: finding:1 (changed) in [verdict]\n" +
				"    recorded  {\"verdict\":\"blocked\"}\n" +
				"    replayed  {\"verdict\":\"passed\"}\n"},
		{"missing finding", run.ReplayReport{RunID: "run:a", Original: d, Replay: d2,
			First: &run.ReplayFinding{FindingID: "finding:2", Kind: "missing", Original: json.RawMessage(`{}`)}},
			"DIFFERENT run:a\n" +
				"  recorded  2 findings, findings sha256:f1, explains sha256:e1\n" +
				"  replayed  1 findings, findings sha256:f2, explains sha256:e2\n" +
				"  first difference: finding:2 (missing)\n" +
				"    recorded  {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := ReplayTable(&b, &tc.rep, Options{}); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
