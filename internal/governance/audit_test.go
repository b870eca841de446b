package governance

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// approvedWorld returns a world where P-1@1 went draft → submitted →
// approved (events: drafted 1, simulation run 2-3, its replay 4,
// submitted 5, review requested 6, approved 7).
func approvedWorld(t *testing.T) *world {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeSimulate, false, false)
	if _, err := w.reg.Submit(w.ctx, w.as["alice"], ref, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Approve(w.ctx, w.as["carol"], ref, approve("ok")); err != nil {
		t.Fatal(err)
	}
	return w
}

// tamper edits the database file behind the store's back, the way an
// attacker with write access would: dropping the append-only triggers first.
func tamper(t *testing.T, w *world, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", w.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{
		"DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete",
		"DROP TRIGGER IF EXISTS governance_statements_no_update", "DROP TRIGGER IF EXISTS governance_statements_no_delete",
	}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyAuditDetectsTampering(t *testing.T) {
	forged := func(w *world) string {
		// A statement signed by a stranger, carrying the stranger's key.
		k, _ := attest.Generate(attest.Ed25519)
		p := &Predicate{Action: ActionApproved, Tenant: "default", Seq: 7, At: "2026-06-01T12:00:00Z",
			Actor: ActorRef{KeyID: k.ID, Principal: "carol"}, Policy: &PolicyRef{ID: "P-1", Version: 1, IRDigest: w.irDigest("P-1@1")},
			AckSimulation: true, AckDeterminism: true}
		s, err := sign(w.ctx, k, p, p.Policy.IRDigest)
		if err != nil {
			t.Fatal(err)
		}
		return "CAST('" + strings.ReplaceAll(string(s.Envelope), "'", "''") + "' AS BLOB)"
	}
	for _, c := range []struct {
		name string
		sql  func(w *world) []string
		seq  int64
		want string
	}{
		{"audit actor edited", func(*world) []string {
			return []string{"UPDATE audit_events SET actor = 'mallory' WHERE seq = 5"}
		}, 5, "event_hash does not match"},
		{"audit payload edited", func(*world) []string {
			return []string{`UPDATE audit_events SET payload = replace(payload, '"bob"', '"carol"') WHERE seq = 6`}
		}, 6, "event_hash does not match"},
		{"audit row deleted", func(*world) []string {
			return []string{"DELETE FROM audit_events WHERE seq = 3"}
		}, 4, "sequence gap"},
		{"last audit row deleted", func(*world) []string {
			return []string{"DELETE FROM audit_events WHERE seq = 7"}
		}, 6, "events were deleted from the tail"},
		{"signature edited", func(*world) []string {
			return []string{`UPDATE governance_statements SET envelope = CAST(replace(CAST(envelope AS TEXT), '"sig":"', '"sig":"AAAA') AS BLOB) WHERE seq = 7`}
		}, 7, "the signed statement was edited"},
		{"statement replaced by a forgery", func(w *world) []string {
			return []string{"UPDATE governance_statements SET envelope = " + forged(w) + " WHERE seq = 7"}
		}, 7, "the signed statement was edited"},
		{"public key swapped", func(w *world) []string {
			k, _ := attest.Generate(attest.Ed25519)
			return []string{"UPDATE governance_statements SET public_pem = '" + pemOf(t, k) + "' WHERE seq = 5"}
		}, 5, "signature check failed"},
		{"statement inserted", func(w *world) []string {
			return []string{"INSERT INTO governance_statements (tenant, digest, seq, action, subject, key_id, principal, public_pem, envelope) " +
				"VALUES ('default', 'sha256:00', 7, 'policy.approved', 'P-1@1', 'k', 'dave', '', " + forged(w) + ")"}
		}, 7, "recorded by no audit event"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := approvedWorld(t)
			if _, err := VerifyAudit(w.ctx, w.st, w.reg.Trust); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			tamper(t, w, c.sql(w)...)
			_, err := VerifyAudit(w.ctx, w.st, w.reg.Trust)
			var ce *store.ChainError
			if fail.KindOf(err) != fail.Integrity || !errors.As(err, &ce) || ce.Seq != c.seq || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an integrity failure at event %d mentioning %q", err, c.seq, c.want)
			}
		})
	}
}

func (w *world) irDigest(ref string) string {
	var d string
	w.st.View(w.ctx, func(tx *store.Tx) error {
		v, err := resolve(w.ctx, tx, ref, latest)
		if err == nil {
			d = v.pv.IRDigest
		}
		return err
	})
	return d
}

func TestAuditExport(t *testing.T) {
	w := approvedWorld(t)
	_, _, err := w.reg.ExportAudit(w.ctx, w.as["alice"], "")
	refused(t, err, GuardScope, "missing scope policy:audit")
	doc, rng, err := w.reg.ExportAudit(w.ctx, w.as["erin"], "")
	if err != nil || rng.From != 1 || rng.To != 7 || rng.Anchor != store.GenesisHash {
		t.Fatalf("export: %+v %v", rng, err)
	}
	b, err := jsonOf(doc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyExport(w.ctx, "audit.json", b, w.reg.Trust)
	if err != nil || rep.Events != 7 || rep.Statements != 3 || !rep.Trusted || rep.Exporter.Principal != "erin" {
		t.Fatalf("verify export: %+v %v", rep, err)
	}
	// The export itself is in the log, as a signed statement.
	if rep, err := VerifyAudit(w.ctx, w.st, w.reg.Trust); err != nil || rep.Events != 8 || rep.Statements != 4 {
		t.Fatalf("after export: %+v %v", rep, err)
	}
	// A later export from a point in time chains from the event before it.
	w.clock.advance(3600e9)
	if _, err := w.reg.Review(w.ctx, w.as["bob"], "P-1", "looks good", false); err != nil {
		t.Fatal(err)
	}
	doc2, rng2, err := w.reg.ExportAudit(w.ctx, w.as["erin"], w.clock.text(0))
	if err != nil || rng2.From != 9 || rng2.To != 9 {
		t.Fatalf("second export: %+v %v", rng2, err)
	}
	b2, _ := jsonOf(doc2)
	if _, err := VerifyExport(w.ctx, "audit2.json", b2, nil); err != nil {
		t.Fatal(err)
	}

	// Untrusted exporter, a forged event, a broken document.
	other := newWorld(t, 1)
	if _, err := VerifyExport(w.ctx, "audit.json", b, other.reg.Trust); fail.KindOf(err) != fail.Integrity {
		t.Fatalf("exporter unknown to the verifier: %v", err)
	}
	bad := []byte(strings.Replace(string(b), `"envelope":{`, `"envelope":{"x":1,`, 1))
	if _, err := VerifyExport(w.ctx, "audit.json", bad, nil); fail.KindOf(err) != fail.Integrity {
		t.Fatalf("edited document: %v", err)
	}
	if _, err := VerifyExport(w.ctx, "x.json", []byte("hello"), nil); fail.KindOf(err) != fail.Integrity {
		t.Fatalf("not an export: %v", err)
	}
	// Signing a broken chain is refused.
	tamper(t, w, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
	if _, _, err := w.reg.ExportAudit(w.ctx, w.as["erin"], ""); fail.KindOf(err) != fail.Integrity {
		t.Fatalf("export of a broken chain: %v", err)
	}
}

// TestAuditSince reads --since: nothing is the retention window, "all" is
// everything, an age counts back from now, a time or date is itself.
func TestAuditSince(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want, err string }{
		{"", "2025-03-01T12:00:00Z", ""},
		{"all", "", ""},
		{"30d", "2026-01-30T12:00:00Z", ""},
		{"12h", "2026-03-01T00:00:00Z", ""},
		{"2026-02-01", "2026-02-01T00:00:00Z", ""},
		{"2026-02-01T08:00:00+02:00", "2026-02-01T06:00:00Z", ""},
		{"yesterday", "", `--since "yesterday": want an RFC 3339 time (2026-03-01T00:00:00Z), a date (2026-03-01) or an age (30d, 12h)`},
	} {
		got, err := AuditSince(c.in, now, 365*24*time.Hour)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err || fail.KindOf(err) != fail.Invalid):
			t.Errorf("AuditSince(%q): error %v, want %q (invalid)", c.in, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("AuditSince(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
