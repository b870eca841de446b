package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/text"
)

// BundleExport writes what `stella bundle export` wrote.
func BundleExport(w io.Writer, s *bundle.ExportSummary) error {
	again := ""
	if s.Reused {
		again = " (same content as an earlier export: same sequence, same bytes)"
	}
	printf(w, "wrote %s (%d bytes, %s)%s\n", s.File, s.Bytes, s.Compression, again)
	_, err := printf(w, "  id         %s\n  file       %s\n  stream     %s, sequence %d\n  valid      %s … %s\n  anchor     %s\n  entries    %d, merkle root %s\n  signed by  %s\n",
		s.BundleID, s.FileDigest, s.Stream, s.Sequence, s.CreatedAt, s.ValidUntil, s.TimeAnchor, s.Entries, s.MerkleRoot, s.Signer)
	return err
}

// BundleInspect writes the unverified view of `stella bundle inspect`: what
// the manifest says, then every file as found.
func BundleInspect(w io.Writer, in *bundle.Inspection, o Options) error {
	p := newPalette(o.Color)
	printf(w, "bundle %s  %s\n", in.File, p.paint(p.warn, "UNVERIFIED"))
	printf(w, "  file        %s (%d bytes, %s)\n", in.FileDigest, in.Bytes, in.Compression)
	if m := in.Manifest; m != nil {
		printf(w, "  id          %s\n  format      %s\n  producer    %s %s\n", m.BundleID, m.Format, m.Producer.Name, m.Producer.Version)
		printf(w, "  stream      %s, sequence %d (tenant %s)\n  valid       %s … %s\n  merkle root %s\n",
			m.Stream, m.Sequence, m.Tenant, m.CreatedAt, m.ValidUntil, m.MerkleRoot)
		for _, p := range m.Policies {
			printf(w, "  policy      %s %q %s (%d approvals)\n", p.Ref(), p.Name, p.IRDigest, len(p.Approvals))
		}
		for _, s := range m.Snapshots {
			printf(w, "  snapshot    %s (%d files)\n", s.ID, s.Files)
		}
		for _, r := range m.Runs {
			printf(w, "  run         %s findings %s\n", r.RunID, r.FindingsDigest)
		}
		for _, k := range m.TrustRoots {
			printf(w, "  key         %s %s %s %v\n", k.KeyID, k.Name, k.Type, k.Roles)
		}
	} else {
		printf(w, "  manifest    %s\n", in.ManifestErr)
	}
	t := NewTable(w, o.TTY, "PATH", "SIZE", "SHA256", "MANIFEST")
	for _, f := range in.Files {
		t.Append(f.Path, fmt.Sprint(f.Size), text.Abbrev(f.SHA256), f.Manifest)
	}
	return t.Render()
}

// BundleUnverified says on stderr that nothing `stella bundle inspect`
// shows was verified.
func BundleUnverified(w io.Writer) {
	printf(w, "stella: %s\n", bundle.UnverifiedNotice)
}

// BundleVerified writes a bundle's verification report under status
// ("verified", "imported", …). Its warnings are the caller's to print.
func BundleVerified(w io.Writer, rep *bundle.Report, status string, o Options) error {
	p := newPalette(o.Color)
	printf(w, "bundle %s  %s\n", rep.File, p.paint(p.good, strings.ToUpper(status)))
	printf(w, "  id          %s\n  file        %s\n", rep.BundleID, rep.FileDigest)
	printf(w, "  stream      %s, sequence %d (tenant %s)\n", rep.Stream, rep.Sequence, rep.Tenant)
	printf(w, "  producer    %s %s\n", rep.Producer.Name, rep.Producer.Version)
	printf(w, "  valid       %s … %s (checked at %s, %s: %d days left)\n", rep.CreatedAt, rep.ValidUntil, rep.TimeAnchor, rep.AnchorFrom, rep.DaysLeft)
	printf(w, "  anchor      %s (the exporter's clock, signed)\n", rep.SignedAnchor)
	printf(w, "  signed by   %s\n", strings.Join(rep.Signers, ", "))
	printf(w, "  entries     %d, merkle root %s\n", rep.Entries, rep.MerkleRoot)
	for _, l := range []struct {
		name string
		list []string
	}{{"policies", rep.Policies}, {"snapshots", rep.Snapshots}, {"runs", rep.Runs}} {
		if len(l.list) > 0 {
			printf(w, "  %-11s %s\n", l.name, strings.Join(l.list, ", "))
		}
	}
	return nil
}

// BundleImported writes what `stella bundle import` of path did, with the
// carried approvals as this site's trust config judged them.
func BundleImported(w io.Writer, path string, res *bundle.ImportResult, approvals []*governance.ApprovalReport, o Options) error {
	if !res.Imported {
		_, err := printf(w, "bundle %s (%s) was already imported: nothing changed\n", path, res.Report.BundleID)
		return err
	}
	if err := BundleVerified(w, res.Report, "imported", o); err != nil {
		return err
	}
	if res.Forced {
		printf(w, "  FORCED      sequence %d after %d: %s\n", res.Report.Sequence, res.PreviousSequence, res.Reason)
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"new policies", res.Policies}, {"new snapshots", res.Snapshots}, {"new runs", res.Runs}, {"new keys", res.Keys}} {
		if len(l.list) > 0 {
			printf(w, "  %-13s %s\n", l.name, strings.Join(l.list, ", "))
		}
	}
	for _, a := range approvals {
		state := "approved"
		if !a.Approved {
			state = "not approved here"
		}
		printf(w, "  approvals   %s %s: %d of %d", a.Policy, state, len(a.Approvers), a.Quorum)
		if len(a.Approvers) > 0 {
			printf(w, " (%s)", strings.Join(a.Approvers, ", "))
		}
		for _, r := range a.Rejected {
			printf(w, "; %s does not count: %s", r.Principal, r.Reason)
		}
		printLine(w)
	}
	_, err := printf(w, "  audit event %d (bundle.imported)\n", res.AuditSeq)
	return err
}

// BundleStatus writes `stella bundle status`: one row per stream imported
// here. Its warnings are the caller's to print.
func BundleStatus(w io.Writer, s *bundle.StatusReport, o Options) error {
	if len(s.Streams) == 0 {
		_, err := printLine(w, "no bundles imported here; import one with `stella bundle import KIT`")
		return err
	}
	t := NewTable(w, o.TTY, "STREAM", "SEQUENCE", "BUNDLE", "TIME ANCHOR", "VALID UNTIL", "DAYS LEFT", "IMPORTS")
	for _, st := range s.Streams {
		left := fmt.Sprint(st.DaysLeft)
		switch {
		case st.Expired:
			left = "expired"
		case st.Warning != "":
			left += " (expiring)"
		}
		t.Append(st.Stream, st.Sequence, canon.Short(st.BundleID, 12), st.TimeAnchor, st.ValidUntil, left, st.Imports)
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := printf(w, "checked at %s (%s); latest signed time anchor %s\n", s.CheckedAt, s.CheckedAtSource, s.LatestAnchor)
	return err
}

// BundleStatusWarnings writes the warnings of `stella bundle status` on
// stderr: streams expired or expiring, a clock behind the latest anchor.
func BundleStatusWarnings(w io.Writer, s *bundle.StatusReport) {
	for _, m := range s.Warnings {
		printf(w, "stella: warning: %s\n", m)
	}
}

// BundleImport is what `stella bundle import` reports: the import and the
// carried approvals as this site's trust config judged them.
type BundleImport struct {
	*bundle.ImportResult
	Approvals []*governance.ApprovalReport `json:"approvals"`
}

// NewBundleImport is the report of res, an import whose Approvals were a
// (a *governance.BundleApprovals: its reports; none for any other).
func NewBundleImport(res *bundle.ImportResult, a bundle.Approvals) BundleImport {
	out := BundleImport{ImportResult: res, Approvals: []*governance.ApprovalReport{}}
	if ba, ok := a.(*governance.BundleApprovals); ok && ba.Reports != nil {
		out.Approvals = ba.Reports
	}
	return out
}
