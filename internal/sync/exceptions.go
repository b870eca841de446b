package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/fail"
)

// verifyExceptions checks every exception row of the tenant in PostgreSQL
// (docs/sync.md "What audit verify checks"): its status and expires
// columns are what its data says, its terms (all but id, status and
// approvers) are those a verified exception.requested statement of its
// site holds, a request scoped to one policy keeps that scope, and an
// approved or revoked row has the verified statement of that status.
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
		stmts := sc.exceptions[siteSubject{r.site, r.id}]
		if len(stmts["exception.requested"]) == 0 {
			return bad("comes without its signed exception.requested statement")
		}
		same := false
		for _, raw := range stmts["exception.requested"] {
			var p struct {
				Exception map[string]any `json:"exception"`
				ForPolicy string         `json:"forPolicy"`
			}
			if json.Unmarshal(raw, &p) == nil && sameTerms(data, p.Exception) && (p.ForPolicy == "" || p.ForPolicy == r.policy) {
				same = true
			}
		}
		if !same {
			return bad("has terms its signed request statement does not hold")
		}
		if (r.status == "approved" || r.status == "revoked") && len(stmts["exception."+r.status]) == 0 {
			return bad("comes without the signed exception.%s statement of its status", r.status)
		}
	}
	return nil
}

// sameTerms compares two exceptions' terms: everything but id, status and
// approvers.
func sameTerms(a, b map[string]any) bool {
	if b == nil {
		return false
	}
	terms := func(m map[string]any) map[string]any {
		t := make(map[string]any, len(m))
		for k, v := range m {
			if k != "id" && k != "status" && k != "approvers" {
				t[k] = v
			}
		}
		return t
	}
	return reflect.DeepEqual(terms(a), terms(b))
}
