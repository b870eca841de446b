package sync

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

// lifecycleCheck collects the lifecycle transitions of the verified chains
// (governance.LifecycleEvent).
type lifecycleCheck struct {
	at        map[siteSeq]governance.LifecycleEvent
	bySubject map[siteSubject][]governance.LifecycleEvent // in chain order
	rollbacks map[string][]governance.LifecycleEvent      // site → its rollbacks, in order
}

// add notes event e of site's verified chain when it is a transition.
func (c *lifecycleCheck) add(site string, e store.Event) {
	tr, ok := governance.LifecycleEventOf(e)
	if !ok {
		return
	}
	if c.at == nil {
		c.at, c.bySubject, c.rollbacks = map[siteSeq]governance.LifecycleEvent{}, map[siteSubject][]governance.LifecycleEvent{}, map[string][]governance.LifecycleEvent{}
	}
	if e.Type == governance.ActionRollback {
		c.rollbacks[site] = append(c.rollbacks[site], tr)
	}
	c.at[siteSeq{site, e.Seq}] = tr
	k := siteSubject{site, e.Subject}
	c.bySubject[k] = append(c.bySubject[k], tr)
}

// verifyLifecycles checks every lifecycle row of the tenant in PostgreSQL
// against the verified chain of its site, as the local store checks its own
// (docs/governance.md "Threat model", docs/sync.md "What audit verify
// checks"): the audit event the row names (updated_by) must be a
// transition of that version that ends in the row's state, and no later
// transition of the version may exist. A row naming an event its site has
// not synced yet is left to the next verification. PostgreSQL checks a
// row's statements on every write, but its owner can disable the trigger.
func verifyLifecycles(ctx context.Context, conn *pgx.Conn, srv *server, rep *AuditReport, lc *lifecycleCheck) error {
	rows, err := conn.Query(ctx, `SELECT source_site, policy_id, version, state, updated_by
		FROM policy.policy_lifecycle WHERE tenant = $1 ORDER BY source_site, policy_id, version`, rep.Tenant)
	if err != nil {
		return err
	}
	type row struct {
		site, policy string
		version      int
		state        string
		by           int64
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.site, &x.policy, &x.version, &x.state, &x.by)
	})
	if err != nil {
		return err
	}
	for _, r := range rs {
		subj := fmt.Sprintf("%s@%d", r.policy, r.version)
		bad := func(format string, args ...any) error {
			return fail.New(fail.Integrity, "postgres %s: site %s: policy %s: lifecycle state %s %s (the row was edited)", srv.name, r.site, subj, r.state, fmt.Sprintf(format, args...))
		}
		if r.by == 0 {
			if r.state != store.StateDraft {
				return bad("names no audit event")
			}
			continue
		}
		if r.by > rep.held(r.site) {
			continue // its event is not synced yet
		}
		if tr, ok := lc.at[siteSeq{r.site, r.by}]; !ok || !tr.Leaves(subj, r.state) {
			return bad("is not what audit event %d of the site's verified chain leaves it in", r.by)
		}
		for _, x := range slices.Concat(lc.bySubject[siteSubject{r.site, subj}], lc.rollbacks[r.site]) {
			if why := x.Outdates(subj, r.state); x.Seq > r.by && why != "" {
				return bad("%s", why)
			}
		}
	}
	return nil
}

// verifyVersions checks the IR digest of every policy version row of the
// tenant in PostgreSQL against the one its site's verified statements about
// that version sign (drafted, submitted, approved, …; docs/sync.md "What
// audit verify checks"). A version no statement is about (a site without
// keys) is not checked.
func verifyVersions(ctx context.Context, conn *pgx.Conn, srv *server, tenant string, sc *statementCheck) error {
	rows, err := conn.Query(ctx, `SELECT source_site, policy_id, version, ir_digest
		FROM policy.policy_versions WHERE tenant = $1 ORDER BY source_site, policy_id, version`, tenant)
	if err != nil {
		return err
	}
	type row struct {
		site, policy string
		version      int
		ir           string
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.site, &x.policy, &x.version, &x.ir)
	})
	if err != nil {
		return err
	}
	for _, r := range rs {
		subj := fmt.Sprintf("%s@%d", r.policy, r.version)
		if s, ok := sc.irDigests[siteSubject{r.site, subj}]; ok && s.digest != r.ir {
			return fail.New(fail.Integrity, "postgres %s: site %s: policy %s: its ir_digest column is %s, but statement %s (%s) signs IR %s (the row was edited)",
				srv.name, r.site, subj, r.ir, s.statement, s.action, s.digest)
		}
	}
	return nil
}
