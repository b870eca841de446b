package report

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/text"
)

// TestAuditTrust renders the terminal forms of the key, trust and
// audit-verify commands.
func TestAuditTrust(t *testing.T) {
	k := governance.TrustedKeyView{Principal: "alice", KeyID: "sha256:a1", Type: "ed25519", Scopes: []string{"policy:author", "policy:run"}}
	signer := &governance.ActorRef{KeyID: "sha256:0123456789abcdef0123", Principal: "root"}
	for _, tt := range []struct {
		name   string
		render func(w *bytes.Buffer) error
		want   string
	}{
		{"keys", func(w *bytes.Buffer) error {
			return Keys(w, []governance.GeneratedKey{{Name: "ci", Type: "ed25519", KeyID: "sha256:c1", CreatedAt: "2026-12-01T00:00:00Z"}}, Options{})
		}, "| NAME | TYPE    | KEY ID    | CREATED              |"},
		{"key generated", func(w *bytes.Buffer) error {
			return KeyGenerated(w, &governance.GeneratedKey{Name: "ci", Type: "ed25519", KeyID: "sha256:c1", PrivateKey: "k/ci.key", PublicKey: "k/ci.pub", Encrypted: true}, Options{})
		}, "generated ed25519 key \"ci\"\n  key id   sha256:c1\n  private  k/ci.key (mode 0600, encrypted)\n  public   k/ci.pub\n"},
		{"trust list", func(w *bytes.Buffer) error {
			return TrustList(w, governance.TrustListing{File: "trust.yaml", Settings: governance.SettingsView{Quorum: 2, ExceptionMaxAge: "90d", SimulationMaxAge: "7d"},
				Keys: []governance.TrustedKeyView{k}}, Options{})
		}, "trust.yaml: quorum 2, exceptions at most 90d, simulations at most 7d old at submission\n"},
		{"trust added", func(w *bytes.Buffer) error { return TrustAdded(w, k, Options{}) }, "alice  sha256:a1  policy:author,policy:run\n"},
		{"trust removed", func(w *bytes.Buffer) error { return TrustRemoved(w, []governance.TrustedKeyView{k}, "trust.yaml") },
			"removed sha256:a1 (alice) from trust.yaml\n"},
		{"trust signed", func(w *bytes.Buffer) error {
			return TrustSigned(w, &governance.TrustEdit{File: "trust.yaml", State: governance.TrustState{Version: 3, Digest: "sha256:d3"}, Signer: signer, Seq: 9}, Options{})
		}, "trust.yaml: version 3 (sha256:d3) signed by root (" + text.Abbrev(signer.KeyID) + "), audit event 9\n"},
		{"key trusted", func(w *bytes.Buffer) error { KeyTrusted(w, k, "trust.yaml"); return nil }, "trusted sha256:a1 as alice in trust.yaml\n"},
		{"audit exported", func(w *bytes.Buffer) error {
			AuditExported(w, &governance.ExportRange{From: 1, To: 4, Head: "sha256:h"}, "default")
			return nil
		}, "exported audit events 1 to 4 of tenant default, head sha256:h\n"},
		{"trust root", func(w *bytes.Buffer) error {
			TrustRoot(w, &governance.TrustEdit{File: "trust.yaml", Signer: signer}) // not the root: no note
			TrustRoot(w, &governance.TrustEdit{File: "trust.yaml", Signer: signer, Root: true})
			return nil
		}, "trust.yaml is signed by root (" + text.Abbrev(signer.KeyID) + "), the root of trust of this trust config (docs/governance.md \"Signed trust\")\n"},
		{"audit verified", func(w *bytes.Buffer) error {
			return AuditVerified(w, &governance.AuditReport{Tenant: "default", Events: 4, Head: "sha256:h", Statements: 2, Attestations: 1, Unverifiable: []string{"x"}}, Options{})
		}, "audit chain of tenant default: ok\n  events        4\n  head          sha256:h\n  statements    2 signed statements verified\n  attestations  1 run attestations verified, 1 signed by keys unknown here\n"},
		{"audit export verified", func(w *bytes.Buffer) error {
			return AuditExportVerified(w, "a.json", &governance.ExportReport{Tenant: "default", Exporter: *signer, ExportedAt: "2026-12-01T00:00:00Z",
				Range: governance.ExportRange{From: 1, To: 4, Head: "sha256:h"}, Events: 4, Statements: 2, Trusted: true})
		}, "audit export a.json: ok\n  tenant      default\n  events      1 to 4 (4), head sha256:h\n  statements  2 verified\n  exporter    root (" + text.Abbrev(signer.KeyID) + "), trusted with policy:audit, at 2026-12-01T00:00:00Z\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b.Bytes(), []byte(tt.want)) {
				t.Fatalf("got\n%s\nwant it to contain\n%s", b.String(), tt.want)
			}
		})
	}
}
