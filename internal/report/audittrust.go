package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/text"
)

// The terminal forms of the key, trust and audit-verify commands
// (docs/governance.md, docs/attestation.md).

// Keys writes `key list`: one row a registered key.
func Keys(w io.Writer, keys []governance.GeneratedKey, o Options) error {
	t := NewTable(w, o.TTY, "NAME", "TYPE", "KEY ID", "CREATED")
	for _, k := range keys {
		t.Append(k.Name, k.Type, k.KeyID, k.CreatedAt)
	}
	return t.Render()
}

// KeyGenerated writes what `key generate` made and where.
func KeyGenerated(w io.Writer, k *governance.GeneratedKey, _ Options) error {
	enc := ""
	if k.Encrypted {
		enc = ", encrypted"
	}
	_, err := printf(w, "generated %s key %q\n  key id   %s\n  private  %s (mode 0600%s)\n  public   %s\n", k.Type, k.Name, k.KeyID, k.PrivateKey, enc, k.PublicKey)
	return err
}

// TrustList writes `trust ls`: the trust config's settings, then its keys.
func TrustList(w io.Writer, l governance.TrustListing, o Options) error {
	printf(w, "%s: quorum %d, exceptions at most %s, simulations at most %s old at submission\n",
		l.File, l.Settings.Quorum, l.Settings.ExceptionMaxAge, l.Settings.SimulationMaxAge)
	t := NewTable(w, o.TTY, "PRINCIPAL", "KEY ID", "TYPE", "SCOPES")
	for _, k := range l.Keys {
		t.Append(k.Principal, k.KeyID, k.Type, strings.Join(k.Scopes, ","))
	}
	return t.Render()
}

// TrustAdded writes the key `trust add` trusted.
func TrustAdded(w io.Writer, k governance.TrustedKeyView, _ Options) error {
	_, err := printf(w, "%s  %s  %s\n", k.Principal, k.KeyID, strings.Join(k.Scopes, ","))
	return err
}

// TrustRemoved writes the keys `trust rm` removed from file.
func TrustRemoved(w io.Writer, keys []governance.TrustedKeyView, file string) error {
	for _, k := range keys {
		printf(w, "removed %s (%s) from %s\n", k.KeyID, k.Principal, file)
	}
	return nil
}

// KeyTrusted writes the note `trust add` leaves on stderr: the key, by its
// short id, as whom and in which trust config.
func KeyTrusted(w io.Writer, k governance.TrustedKeyView, file string) {
	printf(w, "trusted %s as %s in %s\n", text.Abbrev(k.KeyID), k.Principal, file)
}

// AuditExported writes the status line of `audit export`: which events of
// which tenant it exported.
func AuditExported(w io.Writer, r *governance.ExportRange, tenant string) {
	fmt.Fprintf(w, "exported audit events %d to %d of tenant %s, head %s\n", r.From, r.To, tenant, r.Head)
}

// TrustRoot writes the note a trust edit signed by the trust config's root
// of trust leaves on stderr; other edits leave none.
func TrustRoot(w io.Writer, e *governance.TrustEdit) {
	if !e.Root {
		return
	}
	printf(w, "%s is signed by %s (%s), the root of trust of this trust config (docs/governance.md \"Signed trust\")\n",
		e.File, e.Signer.Principal, text.Abbrev(e.Signer.KeyID))
}

// TrustSigned writes the version of the trust config `trust sign` signed.
func TrustSigned(w io.Writer, e *governance.TrustEdit, _ Options) error {
	_, err := printf(w, "%s: version %d (%s) signed by %s (%s), audit event %d\n",
		e.File, e.State.Version, e.State.Digest, e.Signer.Principal, text.Abbrev(e.Signer.KeyID), e.Seq)
	return err
}

// AuditVerified writes `audit verify` of a tenant's chain that verified.
func AuditVerified(w io.Writer, rep *governance.AuditReport, _ Options) error {
	printf(w, "audit chain of tenant %s: ok\n", rep.Tenant)
	printf(w, "  events        %d\n", rep.Events)
	printf(w, "  head          %s\n", rep.Head)
	printf(w, "  statements    %d signed statements verified\n", rep.Statements)
	printf(w, "  attestations  %d run attestations verified", rep.Attestations)
	if n := len(rep.Unverifiable); n > 0 {
		printf(w, ", %d signed by keys unknown here", n)
	}
	printLine(w)
	if c := rep.SignedHead; c != nil {
		printf(w, "  signed head   event %d %s held (%s)\n", c.Seq, c.EventHash, c.At)
	}
	for _, c := range rep.Checkpoints {
		printf(w, "  checkpoint    event %d %s held (%s)\n", c.Seq, c.EventHash, c.At)
	}
	for _, u := range rep.Ungoverned {
		printf(w, "  ungoverned    %s\n", u)
	}
	return nil
}

// AuditExportVerified writes `audit verify --export` of the export file
// path that verified.
func AuditExportVerified(w io.Writer, path string, rep *governance.ExportReport) error {
	printf(w, "audit export %s: ok\n", path)
	printf(w, "  tenant      %s\n", rep.Tenant)
	printf(w, "  events      %d to %d (%d), head %s\n", rep.Range.From, rep.Range.To, rep.Events, rep.Range.Head)
	printf(w, "  statements  %d verified\n", rep.Statements)
	who := "not checked against a trust config"
	if rep.Trusted {
		who = "trusted with policy:audit"
	}
	printf(w, "  exporter    %s (%s), %s, at %s\n", rep.Exporter.Principal, text.Abbrev(rep.Exporter.KeyID), who, rep.ExportedAt)
	return nil
}

// AuditLog writes `audit log`: one row an event, in chain order.
func AuditLog(w io.Writer, events governance.AuditEvents, o Options) error {
	t := NewTable(w, o.TTY, "SEQ", "AT", "TYPE", "ACTOR", "SUBJECT")
	for _, e := range events {
		t.Append(fmt.Sprint(e.Seq), e.At, e.Type, e.Actor, e.Subject)
	}
	return t.Render()
}
