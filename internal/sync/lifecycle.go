package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

// transition is an audit event that changes a policy version's lifecycle.
type transition struct {
	seq       int64
	typ, from string // from: the version a policy.rollback rolled back from
	subject   string
}

// lifecycleCheck collects the lifecycle transitions of the verified chains.
type lifecycleCheck struct {
	at        map[siteSeq]transition
	bySubject map[string]map[string][]int64 // site → subject → seqs, in order
	rollbacks map[string][]transition       // site → its rollbacks, in order
}

// add notes event e of site's verified chain when it is a transition.
func (c *lifecycleCheck) add(site string, e store.Event) {
	if governance.LeavesIn(e.Type) == nil {
		return
	}
	if c.at == nil {
		c.at, c.bySubject, c.rollbacks = map[siteSeq]transition{}, map[string]map[string][]int64{}, map[string][]transition{}
	}
	tr := transition{seq: e.Seq, typ: e.Type, subject: e.Subject}
	if e.Type == governance.ActionRollback {
		var p struct {
			From string `json:"from"`
		}
		if json.Unmarshal(e.Payload, &p) == nil {
			tr.from = p.From
		}
		c.rollbacks[site] = append(c.rollbacks[site], tr)
	}
	c.at[siteSeq{site, e.Seq}] = tr
	if c.bySubject[site] == nil {
		c.bySubject[site] = map[string][]int64{}
	}
	c.bySubject[site][e.Subject] = append(c.bySubject[site][e.Subject], e.Seq)
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
		tr, ok := lc.at[siteSeq{r.site, r.by}]
		switch {
		case ok && tr.subject == subj:
			ok = slices.Contains(governance.LeavesIn(tr.typ), r.state)
		case ok && tr.typ == governance.ActionRollback && tr.from == subj:
			ok = r.state == store.StateArchived
		default:
			ok = false
		}
		if !ok {
			return bad("is not what audit event %d of the site's verified chain leaves it in", r.by)
		}
		settled := r.state == store.StateActive || r.state == store.StateArchived
		for _, seq := range lc.bySubject[r.site][subj] {
			if x := lc.at[siteSeq{r.site, seq}]; seq > r.by && !(x.typ == governance.ActionImported && settled) {
				return bad("is older than audit event %d (%s)", seq, x.typ)
			}
		}
		for _, x := range lc.rollbacks[r.site] {
			if x.seq > r.by && x.from == subj {
				return bad("is older than audit event %d (%s from it)", x.seq, x.typ)
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
