package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) != "" {
		os.Exit(killChild())
	}
	os.Exit(pgtest.Main(m))
}

var clock = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// openStore opens (creating) a local database for tenant.
func openStore(t *testing.T, path, tenant string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, tenant, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newSite is a fresh local database in a temporary directory.
func newSite(t *testing.T, tenant string) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stella.db")
	return openStore(t, path, tenant), path
}

// result builds an engine result with n findings; salt changes their
// content (and so the outputs digests) without changing the run id.
func result(t testing.TB, n int, salt string) *engine.Result {
	t.Helper()
	res := &engine.Result{
		SchemaVersion:  engine.SchemaVersion,
		Policy:         engine.PolicyRef{ID: "base", Digest: canon.Digest([]byte("ir")), Syntax: "stella-dsl@1"},
		Inputs:         engine.InputsRef{SBOMs: []engine.SBOMRef{}, InputsHash: canon.Digest([]byte("inputs"))},
		Env:            []engine.KV{},
		EvaluationTime: "2026-03-01T00:00:00Z",
		Verdict:        engine.VerdictBlocked,
	}
	var fs []json.RawMessage
	var ids []string
	for i := range n {
		ex := &engine.Explain{FindingID: fmt.Sprintf("finding:%03d", i), Verdict: engine.ExplainResult{Status: "blocked", Rule: "r" + salt}}
		_, id, err := canon.DigestOf(ex)
		if err != nil {
			t.Fatal(err)
		}
		ex.ExplainID = id
		var f engine.Finding
		js := fmt.Sprintf(`{"findingId":%q,"purl":"pkg:npm/p%d@1.0.0","advisoryId":"GHSA-%d%s","aliases":[],
			"vexStatus":"affected","verdict":"blocked","enforced":true,"severity":{"band":"High","score":7.5},"explainId":%q}`,
			ex.FindingID, i, i, salt, id)
		if err := json.Unmarshal([]byte(js), &f); err != nil {
			t.Fatal(err)
		}
		fb, _ := canon.Marshal(f)
		fs, ids = append(fs, fb), append(ids, id)
		f.Explain = ex
		res.Findings = append(res.Findings, f)
	}
	res.Summary.ByVerdict.Blocked = n
	_, res.Digests.Findings, _ = canon.DigestOf(fs)
	res.Digests.Explains = store.ExplainsDigest(ids)
	if fs == nil {
		res.Digests.Findings = canon.Digest([]byte("[]"))
	}
	return res
}

func runMeta(team string) store.RunMeta {
	return store.RunMeta{Mode: store.ModeRun, PolicyID: "P-1", PolicyVersion: 1, IR: []byte(`{"ir":1}`),
		Env: []engine.KV{{Key: "team", Value: team}}, EvaluationTime: "2026-03-01T00:00:00Z",
		StartedAt: clock(), CompletedAt: clock().Add(2 * time.Second)}
}

// recordRun records a succeeded run with n findings for team and returns
// its id.
func recordRun(t *testing.T, st *store.Store, team string, n int, salt string) string {
	t.Helper()
	m := runMeta(team)
	res := result(t, n, salt)
	rec := run.NewRecord(st.Tenant(), m, res)
	if _, _, err := st.RecordRun(context.Background(), store.RecordRequest{Meta: m, Record: rec, Result: res}); err != nil {
		t.Fatal(err)
	}
	return rec.RunID
}

// populate gives a site one of everything: a policy version and its
// lifecycle, a snapshot, two runs, a signed statement, an exception and
// the audit events these wrote.
func populate(t *testing.T, st *store.Store, team string) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx *store.Tx) error {
		pv, _, err := tx.AddPolicyVersion(ctx, store.NewVersion{PolicyID: "P-1", Name: "base", IR: []byte(`{"ir":1}`), Source: []byte("policy")})
		if err != nil {
			return err
		}
		ev, err := putStatement(ctx, t, tx, "policy.approved", "alice", pv.String(), nil)
		if err != nil {
			return err
		}
		if err := tx.SetLifecycle(ctx, store.Lifecycle{PolicyID: "P-1", Version: 1, State: store.StateApproved}, ev.Seq); err != nil {
			return err
		}
		if _, err := tx.PutSnapshot(ctx, "sha256:snap-"+team, "test", nil, []store.File{{Path: "sbom.json", Data: []byte(`{"team":"` + team + `"}`)}}); err != nil {
			return err
		}
		if _, _, err := tx.AddLesson(ctx, store.Lesson{Type: "failure", Severity: "High", SourceRun: "run:P-1:" + team, PolicyID: "P-1",
			EvaluationTime: "2026-03-01T00:00:00Z", Title: "P-1 blocked 1 finding", Description: "blocked", ProposedAction: "a rule",
			Evidence: []byte(`{"run":"run:P-1"}`)}); err != nil {
			return err
		}
		// An exception arrives in PostgreSQL only with its request statement.
		x := model.Exception{ID: "EX-1", Vulns: []string{"GHSA-1"}, Purls: []string{"pkg:npm/p1"},
			Effect: "suppress", Justification: "not reachable", Owner: team, Status: "requested", Expires: "2026-04-01T00:00:00Z"}
		if _, err := putStatement(ctx, t, tx, "exception.requested", team, "EX-1", &x); err != nil {
			return err
		}
		return tx.PutException(ctx, &store.ExceptionRow{Exception: x})
	})
	if err != nil {
		t.Fatal(err)
	}
	recordRun(t, st, team, 3, "")
	recordRun(t, st, team+"-nightly", 2, "")
}

// localCount counts a tenant's rows of a local table.
func localCount(t *testing.T, path, table, tenant string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM `+table+` WHERE tenant = ?`, tenant).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pgConnect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// pgCount runs a count query.
func pgCount(t *testing.T, conn *pgx.Conn, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// push syncs with test defaults: small batches, no waiting between retries.
func push(t *testing.T, st *store.Store, dsn string, o Options) (*Report, error) {
	t.Helper()
	o.DSN = dsn
	if o.Label == "" {
		o.Label = "test"
	}
	if o.Retry.Backoff == 0 {
		o.Retry.Backoff = time.Millisecond
	}
	return Push(context.Background(), st, o)
}

func mustPush(t *testing.T, st *store.Store, dsn string, o Options) *Report {
	t.Helper()
	rep, err := push(t, st, dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func tableReport(t *testing.T, rep *Report, name string) TableReport {
	t.Helper()
	for _, tr := range rep.Tables {
		if tr.Table == name {
			return tr
		}
	}
	t.Fatalf("report has no table %s: %+v", name, rep.Tables)
	return TableReport{}
}

// putStatement records a statement (statement) as governance does: the
// audit event of its action names it (payload statement and keyId), and
// the statement row names that event.
func putStatement(ctx context.Context, t *testing.T, tx *store.Tx, action, principal, subject string, x *model.Exception) (store.Event, error) {
	t.Helper()
	s := statement(t, 0, action, principal, subject, x)
	ev, err := tx.Append(ctx, action, principal, subject, map[string]any{"statement": canon.Digest(s.Envelope), "keyId": s.KeyID})
	if err != nil {
		return ev, err
	}
	s.Seq = ev.Seq
	return ev, tx.PutStatement(ctx, s)
}

// statement is a governance statement signed by a fresh key, whose
// predicate holds action, the actor and, about exception x, its terms for
// a request, their digest for an approval or a revocation: what
// PostgreSQL and audit verify compare the row with.
func statement(t *testing.T, seq int64, action, principal, subject string, x *model.Exception) *store.Statement {
	t.Helper()
	k, err := attest.Generate("")
	if err != nil {
		t.Fatal(err)
	}
	pred := map[string]any{"action": action, "actor": map[string]string{"keyId": k.ID, "principal": principal}}
	switch {
	case x != nil && action == governance.ActionExcRequested:
		pred["exception"] = x
	case x != nil:
		d, err := governance.TermsDigest(*x)
		if err != nil {
			t.Fatal(err)
		}
		pred["termsDigest"] = d
	}
	payload, err := attest.NewStatement("https://stella.dev/attestations/governance@1", []attest.Subject{attest.SubjectOf(subject, canon.Digest([]byte(subject)))}, pred)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), attest.PayloadType, payload, k)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := attest.MarshalEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := k.PublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	return &store.Statement{Seq: seq, Action: action, Subject: subject, KeyID: k.ID, Principal: principal, PublicPEM: string(pem), Envelope: eb}
}

// verifiedSite is where the tests of what `audit verify --dsn` finds in
// rows edited by PostgreSQL's owner start: site acme, populated, pushed to
// a fresh database with o, and verified.
func verifiedSite(t *testing.T, o Options) (dsn string, conn *pgx.Conn, rep *Report) {
	t.Helper()
	dsn = pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	rep = mustPush(t, st, dsn, o)
	conn = pgConnect(t, dsn)
	if _, err := VerifyAudit(context.Background(), dsn, "acme", Retry{}, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
	return dsn, conn, rep
}

// ownerEdit is an edit of the schema owner's and what `audit verify
// --dsn` must say of it.
type ownerEdit struct {
	name, sql, want string
}

// ownerEdits applies each edit to table on its own, with the table's user
// triggers off as the schema owner can, checks that VerifyAudit fails
// saying want, and puts the table back (saveTables).
func ownerEdits(t *testing.T, dsn string, conn *pgx.Conn, table string, edits []ownerEdit) {
	t.Helper()
	saveTables(t, conn, table)
	for _, tc := range edits {
		t.Run(tc.name, func(t *testing.T) {
			asOwner(t, conn, table, tc.sql)
			defer restoreTable(t, conn, table)
			_, err := VerifyAudit(context.Background(), dsn, "acme", Retry{}, AuditOptions{})
			wantIntegrity(t, err, tc.want)
		})
	}
}

// asOwner runs sql with the user triggers of table off.
func asOwner(t *testing.T, conn *pgx.Conn, table, sql string, args ...any) {
	t.Helper()
	mustExec(t, conn, `ALTER TABLE policy.`+table+` DISABLE TRIGGER USER`)
	mustExec(t, conn, sql, args...)
	mustExec(t, conn, `ALTER TABLE policy.`+table+` ENABLE TRIGGER USER`)
}

// restoreTable puts back the copy saveTables made of table.
func restoreTable(t *testing.T, conn *pgx.Conn, table string) {
	t.Helper()
	asOwner(t, conn, table, `DELETE FROM policy.`+table)
	asOwner(t, conn, table, `INSERT INTO policy.`+table+` SELECT * FROM policy.saved_`+table)
}

// wantIntegrity fails the test unless err is an integrity failure saying
// want.
func wantIntegrity(t *testing.T, err error, want string) {
	t.Helper()
	if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), want) {
		t.Fatalf("want an integrity failure saying %q, got %v", want, err)
	}
}
