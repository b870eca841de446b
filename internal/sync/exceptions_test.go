package sync

import (
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/model"
)

// TestExceptionProblem: every branch of the check of an exception row's
// data against its site's verified statements (exceptionProblem).
func TestExceptionProblem(t *testing.T) {
	asked := model.Exception{ID: "EX-1", Vulns: []string{"GHSA-1"}, Purls: []string{"pkg:npm/p1"}, Effect: "suppress",
		Justification: "not reachable", Owner: "payments", Status: "requested", Expires: "2026-04-01T00:00:00Z"}
	wide := asked
	wide.Purls = []string{"pkg:npm/*"}
	digest := func(x model.Exception) string {
		d, err := governance.TermsDigest(x)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	data := func(x model.Exception, status string) []byte {
		x.Status = status
		if status != "requested" {
			x.Approvers = []string{"carol"}
		}
		b, err := canon.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	request := func(x model.Exception, forPolicy string) governance.Predicate {
		return governance.Predicate{Action: governance.ActionExcRequested, Exception: &x, ForPolicy: forPolicy}
	}
	over := func(action string, x model.Exception) governance.Predicate {
		return governance.Predicate{Action: action, TermsDigest: digest(x)}
	}
	approved, revoked := governance.ActionExcApproved, governance.ActionExcRevoked
	for _, tc := range []struct {
		name, status, policy string
		data                 []byte
		stmts                []governance.Predicate
		want                 string // "" no problem
	}{
		{"requested", "requested", "", data(asked, "requested"), []governance.Predicate{request(asked, "")}, ""},
		{"no request", "requested", "", data(asked, "requested"), nil, "comes without its signed exception.requested statement"},
		{"terms widened", "requested", "", data(wide, "requested"), []governance.Predicate{request(asked, "")}, "has terms its signed request statement does not hold"},
		{"one of two requests", "requested", "", data(wide, "requested"), []governance.Predicate{request(asked, ""), request(wide, "")}, ""},
		{"scope kept", "requested", "P-1", data(asked, "requested"), []governance.Predicate{request(asked, "P-1")}, ""},
		{"scope dropped", "requested", "", data(asked, "requested"), []governance.Predicate{request(asked, "P-1")}, "has terms its signed request statement does not hold"},
		{"not an exception", "requested", "", []byte(`{"id":"EX-1","vulns":"GHSA-1"}`), []governance.Predicate{request(asked, "")}, "has terms its signed request statement does not hold"},
		{"a key it does not have", "requested", "", []byte(strings.Replace(string(data(asked, "requested")), `{"effect"`, `{"Purls":["pkg:npm/*"],"effect"`, 1)),
			[]governance.Predicate{request(asked, "")}, "has terms its signed request statement does not hold"},
		{"approved", "approved", "", data(asked, "approved"), []governance.Predicate{request(asked, ""), over(approved, asked)}, ""},
		{"approved without approval", "approved", "", data(asked, "approved"), []governance.Predicate{request(asked, "")},
			"comes without the signed exception.approved statement of its status"},
		{"approved over other terms", "approved", "", data(wide, "approved"), []governance.Predicate{request(asked, ""), request(wide, ""), over(approved, asked)},
			"its signed exception.approved statement is over terms " + digest(asked) + ", not its own (" + digest(wide) + ")"},
		{"revoked", "revoked", "", data(asked, "revoked"), []governance.Predicate{request(asked, ""), over(approved, asked), over(revoked, asked)}, ""},
		{"revoked without revocation", "revoked", "", data(asked, "revoked"), []governance.Predicate{request(asked, ""), over(approved, asked)},
			"comes without the signed exception.revoked statement of its status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exceptionProblem("EX-1", tc.status, tc.policy, tc.data, tc.stmts); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
