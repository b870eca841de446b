package report

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/run"
)

// TestEvidenceNotices: the stderr lines of policy export, verify, replay
// and explain about what an archive or its verification cannot vouch for.
func TestEvidenceNotices(t *testing.T) {
	for _, tc := range []struct {
		name   string
		notice func(w *bytes.Buffer)
		want   string
	}{
		{"export signed", func(w *bytes.Buffer) {
			ExportNotices(w, &run.Exported{RunID: "run:1", File: "e.tar", Signed: true, ManifestSigned: true})
		}, ""},
		{"export unsigned", func(w *bytes.Buffer) { ExportNotices(w, &run.Exported{RunID: "run:1", File: "e.tar"}) },
			"stella: warning: run run:1 is not signed; the evidence cannot be verified (run with --sign-key)\n" +
				"stella: warning: e.tar: the archive's manifest is not signed (give --sign-key): a verification will not cover the policy source by a signature\n"},
		{"verify", func(w *bytes.Buffer) { VerifyNotices(w, "e.tar", &run.VerifyReport{}) }, ""},
		{"verify embedded", func(w *bytes.Buffer) {
			VerifyNotices(w, "e.tar", &run.VerifyReport{EmbeddedKey: true, Warnings: []string{"no source"}})
		}, "stella: warning: verified with the key shipped inside e.tar (--insecure-embedded-key): this proves it intact, not who signed it\n" +
			"stella: warning: e.tar: no source\n"},
		{"unverified", func(w *bytes.Buffer) { Unverified(w, "e\x1b[2J.tar") },
			"stella: warning: e\\x1b[2J.tar is UNVERIFIED: checked against its own manifest only; give --key PUB to verify who signed it\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tc.notice(&b)
			if b.String() != tc.want {
				t.Errorf("got:\n%q\nwant:\n%q", b.String(), tc.want)
			}
		})
	}
}
