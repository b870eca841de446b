package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/sync"
)

// TestSyncAuditVerified renders audit verify --dsn: chains that verified
// and synced rows that agree, then rows that do not.
func TestSyncAuditVerified(t *testing.T) {
	ok := &sync.AuditReport{Server: "db:5432/h", Tenant: "default", Chains: []sync.AuditChain{{Site: "s1", Label: "ci-1", Events: 4, Head: "sha256:h"}},
		Runs: 2, Findings: 5, Mismatches: []sync.Mismatch{}}
	bad := *ok
	bad.Differ, bad.Mismatches = 3, []sync.Mismatch{
		{Table: "policy.runs", Row: "run:a", Column: "verdict", Expected: "blocked", Got: "passed"},
		{Table: "policy.findings", Row: "run:a finding:1", Column: "severity_score", Expected: "7.5", Got: "1.5"},
	}
	chains := "audit chains of tenant default in postgres db:5432/h: ok (4 events from 1 sites)\n" +
		"+------+-------+--------+----------+\n" +
		"| SITE | LABEL | EVENTS | HEAD     |\n" +
		"+------+-------+--------+----------+\n" +
		"| s1   | ci-1  | 4      | sha256:h |\n" +
		"+------+-------+--------+----------+\n"
	unchecked, held, cut := *ok, *ok, *ok
	unchecked.Tail = &sync.TailCheck{Reason: "no local database"}
	held.Tail = &sync.TailCheck{Checked: true, Site: "s1", Seq: 4, Hash: "sha256:h", Held: 4, Runs: 2, MissingRuns: []string{}}
	cut.Tail = &sync.TailCheck{Checked: true, Site: "s1", Seq: 7, Hash: "sha256:k", Held: 4, Runs: 3, Pruned: 1, MissingRuns: []string{"run:c"}}
	signed, nokey := *ok, *ok
	signed.Checkpoints = &sync.CheckpointCheck{Keys: []string{"sha256:k"}, MaxAge: "1h0m0s", Sites: []sync.SiteCheckpoints{
		{Site: "s1", Checkpoints: 3, Signed: 2, Latest: &sync.SyncCheckpoint{Seq: 4, EventHash: "sha256:h", SyncedAt: "2026-12-06T07:00:00Z", KeyID: "sha256:k"}},
		{Site: "s2", Checkpoints: 1}}, Reason: "no sync checkpoint signed by a key given for site s2: the end of its chain is not checked"}
	nokey.Checkpoints = &sync.CheckpointCheck{Keys: []string{}, Sites: []sync.SiteCheckpoints{{Site: "s1", Checkpoints: 3}}, Reason: "no --key"}
	checkRenders(t, []renderCase{
		{"signed checkpoints", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &signed, Options{}) },
			chains + "sync checkpoints of site s1: 3, each held by its chain; 2 signed by a key given, the latest at 2026-12-06T07:00:00Z (event 4, key sha256:k), within --max-sync-age 1h0m0s\n" +
				"sync checkpoints of site s2: 1, each held by its chain; none signed by a key given\n" +
				"sync checkpoints: NOT checked: no sync checkpoint signed by a key given for site s2: the end of its chain is not checked\n" +
				"synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"checkpoints without a key", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &nokey, Options{}) },
			chains + "sync checkpoints of site s1: 3, each held by its chain\n" +
				"sync checkpoints: NOT checked: no --key\n" +
				"synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"unchecked", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &unchecked, Options{}) },
			chains + "end of the chains: NOT checked: no local database\n" +
				"synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"held", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &held, Options{}) },
			chains + "end of site s1's chain: this database sent audit events up to 4 (sha256:h) and 2 runs\n" +
				"  PostgreSQL holds all of them\n" +
				"synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"cut", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &cut, Options{}) },
			strings.Replace(chains, ": ok (", ": CUT at the end (", 1) +
				"end of site s1's chain: this database sent audit events up to 7 (sha256:k) and 3 runs (and 1 log entry of runs pruned here since)\n" +
				"  MISSING in PostgreSQL: audit events 5–7 (its chain ends at event 4)\n" +
				"  MISSING in PostgreSQL: run run:c\n" +
				"synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"agree", func(w *bytes.Buffer) error { return SyncAuditVerified(w, ok, Options{}) },
			chains + "synced 2 runs and 5 findings: every column agrees with the signed records\n"},
		{"differ", func(w *bytes.Buffer) error { return SyncAuditVerified(w, &bad, Options{}) }, chains +
			"synced 2 runs and 5 findings: 3 values are NOT what the signed records say\n" +
			"+-----------------+-----------------+----------------+----------+--------+\n" +
			"| TABLE           | ROW             | COLUMN         | EXPECTED | GOT    |\n" +
			"+-----------------+-----------------+----------------+----------+--------+\n" +
			"| policy.runs     | run:a           | verdict        | blocked  | passed |\n" +
			"| policy.findings | run:a finding:1 | severity_score | 7.5      | 1.5    |\n" +
			"+-----------------+-----------------+----------------+----------+--------+\n" +
			"… and 1 more\n"},
	})
}
