package store

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
)

// envelopeOf is an (unsigned) DSSE envelope around a statement whose
// predicate is rec, as `policy run` stores it.
func envelopeOf(t testing.TB, rec *RunRecord) []byte {
	t.Helper()
	b, err := canon.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"_type":"https://in-toto.io/Statement/v1","predicate":` + string(b) + `,"predicateType":"x","subject":[]}`
	return []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.StdEncoding.EncodeToString([]byte(payload)) + `","signatures":[]}`)
}

// TestCheckRunRecord: store check finds a run whose record (the attested
// predicate) was edited, alone or together with its row, or whose stored
// attestation attests another record.
func TestCheckRunRecord(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"record edited", `UPDATE runs SET record = CAST(replace(CAST(record AS TEXT), '"verdict":"blocked"', '"verdict":"passed"') AS BLOB)`,
			`the record's verdict is "passed", the row's "blocked"`},
		{"record and row edited", `UPDATE runs SET verdict = 'passed', record = CAST(replace(CAST(record AS TEXT), '"verdict":"blocked"', '"verdict":"passed"') AS BLOB)`,
			"no policy.run.completed/imported/failed audit event records"},
		{"record not canonical", `UPDATE runs SET record = CAST(CAST(record AS TEXT) || ' ' AS BLOB)`, "not canonical JSON"},
		{"attestation of another record", `UPDATE runs SET attestation = CAST('{"payload":"eyJwcmVkaWNhdGUiOnt9fQ=="}' AS BLOB)`, // predicate {}
			"the attestation's predicate is not the stored record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "s.db"), "")
			m := meta("internet", false)
			res := result(t, 3, false)
			rec := record(m, res)
			if _, _, err := s.RecordRun(ctx, RecordRequest{Meta: m, Record: rec, Result: res, Attestation: envelopeOf(t, rec)}); err != nil {
				t.Fatal(err)
			}
			if rep, err := s.Check(ctx); err != nil || !rep.OK() {
				t.Fatalf("before: %v %v", rep.Problems, err)
			}
			if _, err := s.db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rep.Problems, "\n"); !strings.Contains(got, tt.want) {
				t.Fatalf("problems %q; want %q", got, tt.want)
			}
		})
	}
}
