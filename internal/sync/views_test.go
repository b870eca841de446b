package sync

import (
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/store"
)

// TestViolationViews: after a sync, policy.violations in PostgreSQL gives
// what the local store gives (docs/sync.md "Violations and state").
func TestViolationViews(t *testing.T) {
	dsn := pgtest.DB(t)
	st, _ := newSite(t, "acme")
	populate(t, st, "payments")
	rep := mustPush(t, st, dsn, Options{})
	ctx := context.Background()
	var local []store.Violation
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		local, err = tx.Violations(ctx, store.ViolationQuery{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(local) == 0 {
		t.Fatal("the fixture has no violations")
	}
	conn := pgConnect(t, dsn)
	for _, v := range local {
		var verdict, severity string
		var runs int64
		err := conn.QueryRow(ctx, `SELECT verdict, severity, runs FROM policy.violations WHERE tenant = 'acme' AND finding_id = $1`, v.FindingID).
			Scan(&verdict, &severity, &runs)
		if err != nil {
			t.Fatalf("%s: %v", v.FindingID, err)
		}
		if verdict != v.Verdict || severity != v.Severity || int(runs) != v.Runs {
			t.Errorf("%s: PostgreSQL %s %s %d runs, local %s %s %d", v.FindingID, verdict, severity, runs, v.Verdict, v.Severity, v.Runs)
		}
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM policy.violations WHERE tenant = 'acme'`); n != int64(len(local)) {
		t.Errorf("%d violations in PostgreSQL, %d local", n, len(local))
	}
	var policies, pending, lessons int64
	if err := conn.QueryRow(ctx, `SELECT policies, pending_review, lessons_pending FROM policy.policy_state WHERE tenant = 'acme' AND source_site = $1`, rep.Site).
		Scan(&policies, &pending, &lessons); err != nil {
		t.Fatal(err)
	}
	if policies != 1 || pending != 1 || lessons != 1 {
		t.Errorf("policy_state: %d policies, %d pending review, %d lessons pending; want 1, 1, 1", policies, pending, lessons)
	}
}
