package governance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestSiteVerifyAudit: the steps of `audit verify` without --dsn, below
// its flags — a missing database or export is not found, a database
// verifies with no trust config (the keys the data carries), and a
// checkpoint file is read only when given (a missing one is not found).
// tamper_audit.txtar (--checkpoint), governance.txtar (--export) and
// qa_trust_rotation.txtar (--allow-unsigned-trust) pin them end to end.
func TestSiteVerifyAudit(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := &Site{DB: filepath.Join(dir, "stella.db"), Tenant: "default", Lookup: TrustLookup{ConfigHome: filepath.Join(dir, "home")},
		Setting: func(string) string { return "" }, Loud: func(m string) { t.Errorf("loud: %s", m) }}
	ctx := t.Context()
	if _, err := s.VerifyAudit(ctx, AuditCheck{}); !fail.Is(err, fail.NotFound) {
		t.Fatalf("no database: %v, want not found", err)
	}
	if _, err := s.VerifyAuditExport(ctx, AuditCheck{Export: "audit.json"}); !fail.Is(err, fail.NotFound) || !strings.Contains(err.Error(), "audit export audit.json does not exist") {
		t.Fatalf("no export: %v", err)
	}
	st, err := store.Open(ctx, s.DB, "default", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Append(ctx, "test.event", "alice", "S-1", map[string]any{"n": 1})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rep, err := s.VerifyAudit(ctx, AuditCheck{})
	if err != nil || rep.Events != 1 || rep.Checkpoints != nil {
		t.Fatalf("VerifyAudit = %+v, %v; want one event, no checkpoints", rep, err)
	}
	if _, err := s.VerifyAudit(ctx, AuditCheck{Checkpoints: []string{"kit.tar"}}); !fail.Is(err, fail.NotFound) || !strings.Contains(err.Error(), "checkpoint kit.tar does not exist") {
		t.Fatalf("a missing checkpoint file: %v", err)
	}
}
