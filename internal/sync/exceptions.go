package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/model"
)

// verifyExceptions checks every exception row of the tenant in PostgreSQL
// (docs/sync.md "What audit verify checks"): its status and expires
// columns are what its data says, its terms (all but status and
// approvers: governance.TermsDigest) are those a verified
// exception.requested statement of its site holds, a request scoped to one
// policy keeps that scope, and an approved or revoked row has the verified
// statement of that status over exactly those terms.
// PostgreSQL checks the terms and statements on every write
// (migrations/0006_exception_terms.sql), but not the columns, and its
// owner can disable the trigger. Whether the approving key was trusted is
// the site's trust config's question (`stella audit verify` there).
func verifyExceptions(ctx context.Context, conn *pgx.Conn, srv *server, tenant string, sc *statementCheck) error {
	rows, err := conn.Query(ctx, `SELECT source_site, exception_id, status, policy_id, expires, data
		FROM policy.exceptions WHERE tenant = $1 ORDER BY source_site, exception_id`, tenant)
	if err != nil {
		return err
	}
	type row struct {
		site, id, status, policy string
		expires                  time.Time
		data                     string
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.site, &x.id, &x.status, &x.policy, &x.expires, &x.data)
	})
	if err != nil {
		return err
	}
	for _, r := range rs {
		bad := func(format string, args ...any) error {
			return fail.New(fail.Integrity, "postgres %s: site %s: exception %s (status %s): %s", srv.name, r.site, r.id, r.status, fmt.Sprintf(format, args...))
		}
		var data map[string]any
		if err := json.Unmarshal([]byte(r.data), &data); err != nil {
			return bad("its data does not decode: %v", err)
		}
		status, _ := data["status"].(string)
		expires, _ := data["expires"].(string)
		if id, _ := data["id"].(string); id != r.id {
			return bad("its data is exception %q", id)
		}
		if status != r.status {
			return bad("its status column is %s, but its data says %s", r.status, status)
		}
		if t, err := time.Parse(time.RFC3339, expires); err != nil || !t.Equal(r.expires) {
			return bad("its expires column is %s, but its data says %s", r.expires.UTC().Format(time.RFC3339), expires)
		}
		if why := exceptionProblem(r.id, r.status, r.policy, []byte(r.data), sc.exceptions[siteSubject{r.site, r.id}]); why != "" {
			return bad("%s", why)
		}
	}
	return nil
}

// exceptionProblem checks the data of exception row id (status, scoped to
// policy) against the verified exception.* statements of its site about it
// and says what is wrong ("" nothing): the data must be an exception (its
// canonical JSON: no key it does not know, none twice), its terms those of
// a request statement, scoped as the request is, and an approved or
// revoked row needs the statement of its status over those same terms.
func exceptionProblem(id, status, policy string, data []byte, stmts []governance.Predicate) string {
	var requests []governance.Predicate
	for _, p := range stmts {
		if p.Action == governance.ActionExcRequested {
			requests = append(requests, p)
		}
	}
	if len(requests) == 0 {
		return "comes without its signed " + governance.ActionExcRequested + " statement"
	}
	const notHeld = "has terms its signed request statement does not hold"
	var x model.Exception
	if err := json.Unmarshal(data, &x); err != nil {
		return notHeld
	}
	got, err := canon.Marshal(x)
	want, terr := canon.Transform(data)
	if err != nil || terr != nil || !bytes.Equal(got, want) {
		return notHeld // a key an exception does not have: not terms any statement signs
	}
	terms, err := governance.TermsDigest(x)
	if err != nil {
		return notHeld
	}
	held := false
	for _, p := range requests {
		if p.Exception == nil || p.ForPolicy != "" && p.ForPolicy != policy {
			continue
		}
		req := *p.Exception
		req.ID = id
		if d, err := governance.TermsDigest(req); err == nil && d == terms {
			held = true
		}
	}
	if !held {
		return notHeld
	}
	if status != model.ExceptionApproved && status != model.ExceptionRevoked {
		return ""
	}
	action, other := "exception."+status, ""
	for _, p := range stmts {
		switch {
		case p.Action != action:
		case p.TermsDigest == terms:
			return ""
		default:
			other = p.TermsDigest
		}
	}
	if other != "" {
		return fmt.Sprintf("its signed %s statement is over terms %s, not its own (%s)", action, other, terms)
	}
	return "comes without the signed " + action + " statement of its status"
}
