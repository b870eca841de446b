package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stella-policy/stella/internal/run"
)

// TestReplayGolden renders `policy replay`'s table: an identical replay
// on one line; a different one with both digests and the first differing
// finding, its differing fields and both versions.
func TestReplayGolden(t *testing.T) {
	same := run.ReplayDigests{Findings: 2, FindingsDigest: "sha256:f1", ExplainsDigest: "sha256:e1"}
	var buf bytes.Buffer
	for _, rep := range []*run.Replayed{
		{RunID: "run:gate:20240310T000000Z:0123456789ab", Identical: true, Original: same, Replay: same},
		{RunID: "run:gate:20240310T000000Z:0123456789ab", Original: same,
			Replay: run.ReplayDigests{Findings: 2, FindingsDigest: "sha256:f2", ExplainsDigest: "sha256:e1"},
			First: &run.ReplayFinding{FindingID: "finding:01", Kind: "changed", Fields: []string{"verdict"},
				Original: json.RawMessage(`{"findingId":"finding:01","verdict":"passed"}`), Replay: json.RawMessage(`{"findingId":"finding:01","verdict":"blocked"}`)}},
		{RunID: "run:gate:20240310T000000Z:0123456789ab", Original: same,
			Replay: run.ReplayDigests{Findings: 1, FindingsDigest: "sha256:f3", ExplainsDigest: "sha256:e3"},
			First:  &run.ReplayFinding{FindingID: "finding:02", Kind: "missing", Original: json.RawMessage(`{"findingId":"finding:02"}`)}},
	} {
		if err := ReplayTable(&buf, rep, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, "golden.replay.table", buf.Bytes())
}
