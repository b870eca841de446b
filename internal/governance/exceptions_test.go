package governance

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/store"
)

func request(expires string) ExceptionRequest {
	return ExceptionRequest{Vulns: []string{"CVE-2024-2,GHSA-aaaa-bbbb-cccc", "CVE-2024-1"}, Purls: []string{"pkg:npm/lodash@4.17.20"},
		Effect: "suppress", Justification: "not reachable from our entry points", Owner: "team-web", Expires: expires, Ticket: "SEC-12"}
}

func TestExceptionLifecycle(t *testing.T) {
	w := newWorld(t, 1)
	ctx, as := w.ctx, w.as
	tr, x, err := w.reg.RequestException(ctx, as["alice"], request("2026-08-30"))
	if err != nil || tr.Subject != "EX-1" || x.State != ExceptionRequested {
		t.Fatalf("request: %+v %v", tr, err)
	}
	if strings.Join(x.Vulns, " ") != "CVE-2024-1 CVE-2024-2 GHSA-aaaa-bbbb-cccc" || x.Requester != "alice" ||
		x.Effective != "2026-06-01T12:00:00Z" || x.Expires != "2026-08-30T00:00:00Z" || x.Created != x.Effective {
		t.Fatalf("terms %+v", x.Exception)
	}
	_, err = w.reg.ApproveException(ctx, as["alice"], "EX-1", "")
	refused(t, err, GuardScope, "missing scope exceptions:approve")
	_, err = w.reg.ApproveException(ctx, as["carol"], "EX-1", "")
	refused(t, err, GuardScope, "missing scope exceptions:approve")

	// A requester who may approve exceptions still cannot approve their own.
	_, _, err = w.reg.RequestException(ctx, as["dave"], request("10d"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.ApproveException(ctx, as["dave"], "EX-2", "")
	refused(t, err, GuardSoD, "dave requested EX-2 and cannot approve it")

	tr, err = w.reg.ApproveException(ctx, as["erin"], "EX-1", "accepted until the fix ships")
	if err != nil || tr.State != ExceptionApproved {
		t.Fatalf("approve: %+v %v", tr, err)
	}
	_, err = w.reg.ApproveException(ctx, as["dave"], "EX-1", "")
	refused(t, err, GuardState, "EX-1 is approved")

	got := engineExceptions(t, w, "")
	if len(got) != 1 || got[0].ID != "EX-1" || got[0].Status != model.ExceptionApproved || got[0].Approvers[0] != "erin" {
		t.Fatalf("engine exceptions: %+v", got)
	}

	// Revocation: the requester may withdraw; others need the scope.
	_, err = w.reg.RevokeException(ctx, as["bob"], "EX-2", "no longer needed")
	refused(t, err, GuardScope, "missing scope exceptions:approve")
	if _, err := w.reg.RevokeException(ctx, as["dave"], "EX-2", ""); fail.KindOf(err) != fail.Invalid {
		t.Fatalf("revoke without reason: %v", err)
	}
	if tr, err := w.reg.RevokeException(ctx, as["dave"], "EX-2", "withdrawn"); err != nil || tr.State != ExceptionRevoked {
		t.Fatalf("withdraw: %+v %v", tr, err)
	}

	// After its end the exception shows as expired and the expiry is
	// recorded once; it is still handed to the engine, which lists it as
	// expired for evaluations after its end.
	w.clock.advance(100 * 24 * time.Hour)
	list, err := w.reg.ListExceptions(ctx, ExceptionFilter{State: ExceptionExpired})
	if err != nil || len(list) != 1 || list[0].ID != "EX-1" {
		t.Fatalf("expired list: %+v %v", list, err)
	}
	if _, err := w.reg.ListExceptions(ctx, ExceptionFilter{}); err != nil {
		t.Fatal(err)
	}
	var expired []store.Event
	w.st.View(ctx, func(tx *store.Tx) error {
		expired, err = tx.Events(ctx, store.EventFilter{Type: ActionExcExpired})
		return err
	})
	if len(expired) != 1 || expired[0].Subject != "EX-1" {
		t.Fatalf("exception.expired events: %+v", expired)
	}
	show, err := w.reg.ShowException(ctx, "EX-1")
	if err != nil || show.State != ExceptionExpired || len(show.History) != 2 || show.History[1].Principal != "erin" {
		t.Fatalf("show: %+v %v", show, err)
	}
	if _, err := w.reg.ShowException(ctx, "EX-9"); fail.KindOf(err) != fail.NotFound {
		t.Fatalf("show unknown: %v", err)
	}
	got = engineExceptions(t, w, "")
	if len(got) != 1 {
		t.Fatalf("expired exception not handed to the engine: %+v", got)
	}
	// A request whose timebox is over is approved no more.
	_, _, err = w.reg.RequestException(ctx, as["alice"], ExceptionRequest{Vulns: []string{"CVE-1"}, Effect: "defer", Justification: "j",
		Owner: "o", Effective: "2026-01-01", Expires: "2026-02-01"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.reg.ApproveException(ctx, as["erin"], "EX-3", "")
	refused(t, err, GuardExpiry, "EX-3 expired at 2026-02-01T00:00:00Z")
	if _, err := VerifyAudit(ctx, w.st, w.reg.Trust); err != nil {
		t.Fatal(err)
	}
}

func engineExceptions(t *testing.T, w *world, policyID string) []model.Exception {
	t.Helper()
	var out []model.Exception
	err := w.st.View(w.ctx, func(tx *store.Tx) error {
		var err error
		out, err = w.reg.EngineExceptions(w.ctx, tx, policyID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExceptionRequestValidation(t *testing.T) {
	w := newWorld(t, 1)
	base := request("30d")
	for _, c := range []struct {
		name  string
		edit  func(*ExceptionRequest)
		kind  fail.Kind
		guard string
		want  string
	}{
		{"no scope", func(r *ExceptionRequest) { r.Vulns, r.Purls = nil, nil }, fail.Invalid, "", "needs a scope"},
		{"bad purl", func(r *ExceptionRequest) { r.Purls = []string{"npm/lodash"} }, fail.Invalid, "", `--purl "npm/lodash"`},
		{"blanket purl", func(r *ExceptionRequest) { r.Vulns, r.Purls = nil, []string{"pkg:*"} }, fail.Invalid, "", `--purl "pkg:*": a purl pattern is pkg:TYPE/… with a package type`},
		{"any type", func(r *ExceptionRequest) { r.Purls = []string{"pkg:*/lodash"} }, fail.Invalid, "", "no blanket waivers"},
		{"bad effect", func(r *ExceptionRequest) { r.Effect = "ignore" }, fail.Invalid, "", `--effect "ignore"`},
		{"downgrade without band", func(r *ExceptionRequest) { r.Effect = "downgrade" }, fail.Invalid, "", "downgrade needs a band"},
		{"control without id", func(r *ExceptionRequest) { r.Effect = "requireControl" }, fail.Invalid, "", "needs a control id"},
		{"suppress with argument", func(r *ExceptionRequest) { r.Effect = "suppress:High" }, fail.Invalid, "", "takes no argument"},
		{"no justification", func(r *ExceptionRequest) { r.Justification = " " }, fail.Invalid, "", "--justification"},
		{"no owner", func(r *ExceptionRequest) { r.Owner = "" }, fail.Invalid, "", "--owner"},
		{"no expiry", func(r *ExceptionRequest) { r.Expires = "" }, fail.Invalid, "", "perpetual waivers are not allowed"},
		{"bad expiry", func(r *ExceptionRequest) { r.Expires = "next year" }, fail.Invalid, "", `--expires "next year": want an RFC 3339 time (2026-03-01T00:00:00Z), a date (2026-03-01) or an age (30d, 12h)`},
		{"bad start", func(r *ExceptionRequest) { r.Effective = "30d" }, fail.Invalid, "", `--effective "30d": want an RFC 3339 time (2026-03-01T00:00:00Z) or a date (2026-03-01)`},
		{"end before start", func(r *ExceptionRequest) { r.Effective, r.Expires = "2026-03-01", "2026-02-01" }, fail.Invalid, "", "is not after the start"},
		{"too long", func(r *ExceptionRequest) { r.Expires = "366d" }, fail.Governance, GuardExpiry, "longer than governance.exception_max_age 365d"},
		{"unknown policy", func(r *ExceptionRequest) { r.PolicyID = "P-9" }, fail.NotFound, "", "P-9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := base
			c.edit(&r)
			_, _, err := w.reg.RequestException(w.ctx, w.as["alice"], r)
			if fail.KindOf(err) != c.kind || GuardOf(err) != c.guard || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (kind %d, guard %q), want %q", err, fail.KindOf(err), GuardOf(err), c.want)
			}
		})
	}
	for in, want := range map[string][3]string{
		"downgrade:high":        {model.EffectDowngrade, "High", ""},
		"requireControl:WAF-01": {model.EffectRequireControl, "", "WAF-01"},
		"Defer":                 {model.EffectDefer, "", ""},
	} {
		e, sev, ctl, err := parseEffect(in)
		if err != nil || [3]string{e, sev, ctl} != want {
			t.Errorf("parseEffect(%q) = %s %s %s %v", in, e, sev, ctl, err)
		}
	}
}

// TestExceptionsFileReadsBack checks that exported exceptions are exactly
// what the input readers give the engine.
func TestExceptionsFileReadsBack(t *testing.T) {
	w := newWorld(t, 1)
	for _, r := range []ExceptionRequest{
		request("30d"),
		{Purls: []string{"pkg:maven/org.apache/*"}, Effect: "downgrade:low", Justification: "j", Owner: "o", Expires: "2026-07-01", PolicyID: ""},
	} {
		tr, _, err := w.reg.RequestException(w.ctx, w.as["alice"], r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.reg.ApproveException(w.ctx, w.as["erin"], tr.Subject, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	xs := engineExceptions(t, w, "")
	b, err := json.MarshalIndent(NewExceptionsFile(xs), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	in, err := inputs.ReadBytes("exceptions.json", b, inputs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Kind != inputs.KindExceptions || !reflect.DeepEqual(in.Exceptions, xs) {
		t.Fatalf("read back %s %+v\nwant %+v", in.Kind, in.Exceptions, xs)
	}
}
