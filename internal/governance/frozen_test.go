package governance

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// frozenWorld has EX-1 (every policy) and EX-2 (P-1 only) approved by
// erin, EX-3 requested, EX-4 approved but expired, and returns what
// snapshot create --exceptions approved freezes.
func frozenWorld(t *testing.T) (*world, []model.Exception) {
	t.Helper()
	w := newWorld(t, 1)
	ctx, as := w.ctx, w.as
	w.draft("", cleanPolicy)
	scoped := request("30d")
	scoped.PolicyID = "P-1"
	for _, r := range []ExceptionRequest{request("30d"), scoped, request("30d"), request("5d")} {
		if _, _, err := w.reg.RequestException(ctx, as["alice"], r); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"EX-1", "EX-2", "EX-4"} {
		if _, err := w.reg.ApproveException(ctx, as["erin"], id, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.advance(6 * 24 * time.Hour)
	xs, err := w.reg.FrozenExceptions(ctx, w.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	return w, xs
}

func TestFrozenExceptions(t *testing.T) {
	w, xs := frozenWorld(t)
	var ids []string
	for _, x := range xs {
		ids = append(ids, x.ID+"/"+x.Policy)
		if len(x.Statements) != 2 || x.Status != model.ExceptionApproved || !slices.Equal(x.Approvers, []string{"erin"}) {
			t.Errorf("%s: %d statements, %s by %v", x.ID, len(x.Statements), x.Status, x.Approvers)
		}
	}
	if got := strings.Join(ids, " "); got != "EX-1/ EX-2/P-1" {
		t.Fatalf("frozen %q, want EX-1 (every policy) and EX-2 (P-1); not the requested EX-3 or the expired EX-4", got)
	}
	if err := VerifyExceptions(w.ctx, w.reg.Trust, w.st, xs); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// The document snapshot create freezes reads back through the
	// exceptions reader with the statements and the scope.
	data, n, err := w.reg.FrozenExceptionsDoc(w.ctx, w.clock.now())
	if err != nil || n != 2 {
		t.Fatalf("doc: %d %v", n, err)
	}
	var doc ExceptionsFile
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Exceptions[1].Statements) != 2 || doc.Exceptions[1].Policy != "P-1" {
		t.Fatalf("doc %s: %v", data, err)
	}
}

func TestVerifyExceptions(t *testing.T) {
	w, frozen := frozenWorld(t)
	// trustWith is a site's trust config: principal → whose key, scopes.
	trustWith := func(principal, key string, scopes ...string) *Trust {
		tr := NewTrust(filepath.Join(t.TempDir(), "site.yaml"))
		if _, err := tr.Add(principal, w.keys[key], scopes); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	other, err := json.Marshal(Signed{Envelope: json.RawMessage(`{}`), PublicKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(p string) string {
		b, err := w.keys[p].PublicPEM()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name  string
		trust *Trust
		edit  func(x *model.Exception)
		want  string // "" = verifies
	}{
		{"as frozen", w.reg.Trust, nil, ""},
		{"no trust config: signatures and terms only", nil, nil, ""},
		{"an exceptions file's, without statements", w.reg.Trust, func(x *model.Exception) { x.Statements, x.Justification = nil, "edited" }, "approved in an exceptions file, with no signed request and approval"},
		{"an exceptions file's, not approved", w.reg.Trust, func(x *model.Exception) { x.Statements, x.Status = nil, ExceptionRequested }, ""},
		{"an exceptions file's, no trust config", nil, func(x *model.Exception) { x.Statements = nil }, ""},
		{"terms edited", w.reg.Trust, func(x *model.Exception) { x.Justification = "edited" }, "the frozen terms"},
		{"expiry moved", w.reg.Trust, func(x *model.Exception) { x.Expires = "2099-01-01T00:00:00Z" }, "the frozen terms"},
		{"scope dropped", w.reg.Trust, func(x *model.Exception) { x.Policy = "" }, `frozen for policy "", the signed request for "P-1"`},
		{"approver renamed", w.reg.Trust, func(x *model.Exception) { x.Approvers = []string{"dave"} }, "the signed approval is by erin"},
		{"statements swapped", w.reg.Trust, func(x *model.Exception) { slices.Reverse(x.Statements) }, "not its request"},
		{"approval dropped", w.reg.Trust, func(x *model.Exception) { x.Statements = x.Statements[:1] }, "1 frozen statements"},
		{"approval replaced", w.reg.Trust, func(x *model.Exception) { x.Statements[1] = other }, "statement public key"},
		{"approval re-keyed", w.reg.Trust, func(x *model.Exception) {
			var s Signed
			json.Unmarshal(x.Statements[1], &s)
			s.PublicKey = pemOf("dave")
			x.Statements[1], _ = json.Marshal(s)
		}, "signature"},
		{"approver not trusted here", trustWith("dave", "dave", ScopeExceptionApprove), nil, "/site.yaml does not hold"},
		{"approver without the scope here", trustWith("erin", "erin", ScopePolicyAudit), nil, "approved by erin (key sha256:"},
		{"approver is the requester here", trustWith("alice", "erin", ScopeExceptionApprove), nil, "approved by its requester alice (separation of duties)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := frozen[1] // EX-2, for P-1 only
			x.Statements = slices.Clone(x.Statements)
			if tc.edit != nil {
				tc.edit(&x)
			}
			xs := []model.Exception{x}
			err := VerifyExceptions(w.ctx, tc.trust, w.st, xs)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "exception EX-2: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want integrity about EX-2 containing %q", err, tc.want)
			}
		})
	}
}

// TestVerifyExceptionsRevoked: an exception frozen into a snapshot while it
// was approved, and revoked here since, no longer quiets anything in a run
// at this site: the run is refused (exit 3) until the snapshot is frozen
// again. An exception of another database that merely shares the id is not
// this one.
func TestVerifyExceptionsRevoked(t *testing.T) {
	w, frozen := frozenWorld(t)
	if _, err := w.reg.RevokeException(w.ctx, w.as["erin"], "EX-2", "found reachable"); err != nil {
		t.Fatal(err)
	}
	err := VerifyExceptions(w.ctx, w.reg.Trust, w.st, frozen)
	if !fail.Is(err, fail.Governance) || !strings.Contains(err.Error(), "exception EX-2 was revoked at this site") || !strings.Contains(err.Error(), "found reachable") {
		t.Fatalf("err = %v, want a governance refusal naming the revoked EX-2", err)
	}
	// Without the database (a loose check) the frozen statements still verify.
	if err := VerifyExceptions(w.ctx, w.reg.Trust, nil, frozen); err != nil {
		t.Fatal(err)
	}
	// Another site's EX-2, other terms, revoked: not the frozen EX-2.
	o := newWorld(t, 1)
	for _, j := range []string{"one", "two"} {
		r := request("30d")
		r.Justification = j
		if _, _, err := o.reg.RequestException(o.ctx, o.as["alice"], r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.reg.RevokeException(o.ctx, o.as["erin"], "EX-2", "no"); err != nil {
		t.Fatal(err)
	}
	if err := VerifyExceptions(w.ctx, nil, o.st, frozen); err != nil {
		t.Fatalf("another database's EX-2: %v", err)
	}
}
