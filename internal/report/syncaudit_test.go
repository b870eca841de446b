package report

import (
	"bytes"
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
	checkRenders(t, []renderCase{
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
