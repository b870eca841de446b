package report

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/store"
)

const key = "sha256:5ce8ad8883e8a1b2c3d4e5f60718293a4b5c6d7e8f9012345678901234567890"

// governanceCases are the renderings of the governance commands, each
// checked plain, boxed (stdout a terminal) and coloured where it differs.
var governanceCases = []struct {
	name   string
	render func(w io.Writer, o Options) error
}{
	{"transition", func(w io.Writer, o Options) error {
		return Transition(w, &governance.Transition{Subject: "P-1@2", Action: "policy.activated", State: "active",
			Actor: governance.ActorRef{KeyID: key, Principal: "bob"}, Statement: "sha256:feed", AuditSeq: 12,
			Approvals: &governance.ApprovalReport{Quorum: 2, Approvers: []string{"carol", "dave"}}, Superseded: "P-1@1", Evidence: "run:P-1:x"}, o)
	}},
	{"transition-bare", func(w io.Writer, o Options) error {
		return Transition(w, &governance.Transition{Subject: "EX-1", Action: "exception.requested", State: "requested",
			Actor: governance.ActorRef{KeyID: "sha256:01", Principal: "alice"}}, o)
	}},
	{"versions", func(w io.Writer, o Options) error {
		return Versions(w, []governance.VersionView{
			{PolicyID: "P-1", Version: 1, State: "active", IRDigest: key, Author: "alice", Approvers: []string{"carol"}, Quorum: 1, CreatedAt: "2026-01-01T00:00:00Z"},
			{PolicyID: "P-1", Version: 2, State: "draft", IRDigest: key, Author: "alice", Quorum: 1, CreatedAt: "2026-01-02T00:00:00Z"},
		}, o)
	}},
	{"policy-status", func(w io.Writer, o Options) error {
		v1 := governance.VersionView{Version: 1, State: "active"}
		v2 := governance.VersionView{Version: 2, State: "submitted", Quorum: 2, Approvers: []string{"carol"}}
		return PolicyStatus(w, []governance.PolicyStatus{
			{PolicyID: "P-1", Name: "gate", Active: &v1, Latest: v2, Versions: 2, Pending: []governance.VersionView{v2}},
			{PolicyID: "P-2", Name: "other", Latest: governance.VersionView{Version: 1, State: "draft"}, Versions: 1},
		}, o)
	}},
	{"tenant-state", func(w io.Writer, o Options) error {
		return TenantState(w, &governance.State{Tenant: "default", Policies: 2, Active: 1, Drafts: 1, PendingReview: 1,
			Conflicts: map[string]int{"BLOCKING": 1, "WARNING": 2}, Window: "24h", Violations: 3, Blocked: 2, LessonsPending: 1}, o)
	}},
	{"exceptions", func(w io.Writer, o Options) error {
		return Exceptions(w, []governance.ExceptionView{
			{Exception: model.Exception{ID: "EX-1", Effect: "suppress", Vulns: []string{"CVE-2021-23337"}, Purls: []string{"pkg:npm/lodash"}, Owner: "team-web", Expires: "2090-03-01T00:00:00Z"}, State: "approved"},
			{Exception: model.Exception{ID: "EX-2", Effect: "downgrade", Severity: "Low", Vulns: []string{"CVE-2024-1"}, Owner: "team-api", Expires: "2090-02-01T00:00:00Z"}, State: "requested"},
		}, o)
	}},
	{"exception-show", func(w io.Writer, o Options) error {
		return Exception(w, &governance.ExceptionView{Exception: model.Exception{ID: "EX-1", Effect: "suppress", Vulns: []string{"CVE-2021-23337"},
			Justification: "not reachable", Owner: "team-web", Requester: "alice", Approvers: []string{"carol"}, Effective: "2090-01-01T00:00:00Z",
			Expires: "2090-03-01T00:00:00Z", Ticket: "SEC-12"}, State: "revoked", PolicyID: "P-1",
			History: []governance.ExceptionEvent{{Seq: 4, Action: "exception.requested", At: "2026-01-01T00:00:00Z", Principal: "alice", KeyID: key},
				{Seq: 9, Action: "exception.revoked", At: "2026-01-03T00:00:00Z", Principal: "carol", KeyID: key, Reason: "fixed"}}}, o)
	}},
	{"conflicts", func(w io.Writer, o Options) error {
		return Conflicts(w, &policyset.ConflictReport{Policies: []string{"P-1@1", "gate.stella"}, Blocking: 1, Warnings: 1, Conflicts: []policyset.Conflict{
			{Type: "THRESHOLD_CONTRADICTION", Severity: policyset.Blocking, PolicyA: "P-1@1", PolicyB: "gate.stella", Subject: "max_critical",
				Explanation: "P-1@1 allows 3, gate.stella 0", Action: "align max_critical"},
			{Type: "PRIORITY_OVERRIDE", Severity: policyset.Warning, PolicyA: "gate.stella", PolicyB: "gate.stella", Subject: "a / b",
				Explanation: "a shadows b", Action: "make them disjoint"}}}, o)
	}},
	{"conflicts-none", func(w io.Writer, o Options) error {
		return Conflicts(w, &policyset.ConflictReport{Policies: []string{"P-1@1"}, Conflicts: []policyset.Conflict{}}, o)
	}},
	{"deps", func(w io.Writer, o Options) error {
		return DependencyGraph(w, "table", depsGraph, o)
	}},
}

var depsGraph = &policyset.Graph{Edges: []policyset.Edge{{From: "P-2@1", To: "P-1@1", Kind: "EXPLICIT", Explanation: "P-2@1 declares depends_on P-1"}}}

// TestDependencyGraphFormats: policy deps writes dot, mermaid, json and
// yaml besides the table, and refuses any other format (exit 2).
func TestDependencyGraphFormats(t *testing.T) {
	for f, want := range map[string]string{"dot": "digraph", "mermaid": "flowchart", "json": `"edges"`, "yaml": "edges:"} {
		var b bytes.Buffer
		if err := DependencyGraph(&b, f, depsGraph, Options{}); err != nil || !strings.Contains(b.String(), want) {
			t.Errorf("--format %s: %v\n%s", f, err, b.String())
		}
	}
	var b bytes.Buffer
	err := DependencyGraph(&b, "sarif", depsGraph, Options{})
	if fail.KindOf(err) != fail.Invalid || !strings.Contains(err.Error(), "policy deps writes dot, mermaid, json, yaml or table") || b.Len() != 0 {
		t.Errorf("--format sarif: %v, wrote %q", err, b.String())
	}
}

func TestGovernanceRenderings(t *testing.T) {
	for _, c := range governanceCases {
		t.Run(c.name, func(t *testing.T) {
			var plain, boxed, color bytes.Buffer
			for _, r := range []struct {
				buf *bytes.Buffer
				o   Options
			}{{&plain, Options{}}, {&boxed, Options{TTY: true}}, {&color, Options{Color: true}}} {
				if err := c.render(r.buf, r.o); err != nil {
					t.Fatal(err)
				}
			}
			checkGolden(t, "golden.gov-"+c.name+".table", plain.Bytes())
			if !bytes.Equal(plain.Bytes(), boxed.Bytes()) {
				checkGolden(t, "golden.gov-"+c.name+".table-tty", boxed.Bytes())
			}
			if !bytes.Equal(plain.Bytes(), color.Bytes()) {
				checkGolden(t, "golden.gov-"+c.name+".color", color.Bytes())
			}
		})
	}
}

// TestStoreCheckEnd: store check ends 0 when the database holds, else 6
// (already reported) with its first problem on stderr.
func TestStoreCheckEnd(t *testing.T) {
	var b bytes.Buffer
	if err := StoreCheckEnd(&b, &governance.StoreCheck{CheckReport: &store.CheckReport{}}); err != nil || b.Len() != 0 {
		t.Fatalf("a database that holds: %v, wrote %q", err, b.String())
	}
	err := StoreCheckEnd(&b, &governance.StoreCheck{CheckReport: &store.CheckReport{Problems: []string{"run r1: digest", "blob b2"}}})
	if fail.Code(err) != 6 || !fail.IsReported(err) || b.String() != "stella: store check: run r1: digest\n" {
		t.Fatalf("problems: %v, wrote %q", err, b.String())
	}
}
