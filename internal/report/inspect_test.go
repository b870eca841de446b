package report

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
)

// inspectCases are the tables of the inspection commands (feeds, snapshots,
// bundles), each rendered plain and boxed (stdout a terminal).
var inspectCases = []struct {
	name   string
	render func(w io.Writer, o Options) error
}{
	{"feeds-status", func(w io.Writer, o Options) error {
		kev := feeds.Meta{Name: "kev", Kind: feeds.KEV, URL: "https://example.test/kev.json", FetchedAt: "2026-03-01T00:00:00Z",
			Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Size: 1536, Records: 1200, Newest: "2026-02-28T00:00:00Z"}
		pypi := feeds.Meta{Name: "osv/PyPI", Kind: feeds.OSV, URL: "https://example.test/PyPI/all.zip", FetchedAt: "2026-02-01T00:00:00Z",
			Digest: "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", Size: 52 << 20, Records: 17000}
		return FeedsStatus(w, &feeds.StatusReport{CacheDir: "/cache", Feeds: []feeds.Status{
			{Meta: kev, Age: "3h0m"}, {Meta: pypi, Age: "28d0h", Stale: true, Problem: "feed osv/PyPI: blob does not match"}}}, o)
	}},
	{"feeds-status-empty", func(w io.Writer, o Options) error {
		return FeedsStatus(w, &feeds.StatusReport{CacheDir: "/cache", Feeds: []feeds.Status{}}, o)
	}},
	{"snapshot-show", func(w io.Writer, o Options) error {
		s, err := snapshot.FromFiles(testSnapshotSpec())
		if err != nil {
			return err
		}
		shown, err := s.Show("snapshots/x")
		if err != nil {
			return err
		}
		shown.Feeds = []snapshot.Feed{{Name: "kev", URL: "https://example.test/kev.json", FetchedAt: "2026-03-01T00:00:00Z", Digest: "sha256:0123456789abcdef", Records: 3}}
		shown.Sources[0].Skipped = []inputs.Problem{{File: "osv/BAD.json", Msg: "not an OSV record"}}
		return SnapshotShow(w, shown, o)
	}},
	{"snapshot-ls", func(w io.Writer, o Options) error {
		return SnapshotList(w, []snapshot.Entry{
			{ID: "sha256:0123456789abcdef", Path: "snapshots/0123", Stats: snapshot.Stats{SBOMs: 2, Components: 40, Advisories: 7, VEX: 1}},
			{Path: "snapshots/broken", Problems: "manifest.json: no such file"},
		}, "snapshots", o)
	}},
	{"snapshot-ls-empty", func(w io.Writer, o Options) error { return SnapshotList(w, []snapshot.Entry{}, "snapshots", o) }},
	{"snapshot-create", func(w io.Writer, _ Options) error {
		return SnapshotCreated(w, &snapshot.Created{ID: "sha256:0123", Path: "snapshots/0123", Created: false,
			Stats: snapshot.Stats{SBOMs: 1, Components: 1, NoPurl: 1, Advisories: 2, Withdrawn: 1, KEV: 1, Exceptions: 2}})
	}},
	{"snapshot-import", func(w io.Writer, _ Options) error {
		return SnapshotImported(w, &snapshot.Imported{ID: "sha256:0123", Created: true, Files: 5, Bytes: 4096, Stats: snapshot.Stats{SBOMs: 2, Components: 40, Advisories: 7, VEX: 1}})
	}},
	{"inputs-inspect", func(w io.Writer, o Options) error {
		dir := filepath.Join("..", "..", "testdata", "inputs")
		out, err := snapshot.Inspect([]string{filepath.Join(dir, "shop.cdx.json"), filepath.Join(dir, "kev.json"), filepath.Join(dir, "none.json")}, snapshot.InspectOptions{MaxInputSize: 1 << 30})
		if err != nil {
			return err
		}
		return InputsInspect(w, out, o)
	}},
	{"bundle-export", func(w io.Writer, _ Options) error {
		return BundleExport(w, &bundle.ExportSummary{File: "kit.tar.zst", FileDigest: "sha256:aa", Bytes: 4096, Compression: "zstd", BundleID: "sha256:bb",
			Stream: "default", Sequence: 2, Reused: true, CreatedAt: "2026-03-01T00:00:00Z", ValidUntil: "2026-03-31T00:00:00Z", TimeAnchor: "2026-03-02T00:00:00Z",
			Entries: 12, MerkleRoot: "sha256:cc", Signer: "sha256:dd"})
	}},
	{"bundle-inspect", func(w io.Writer, o Options) error {
		m := &bundle.Manifest{Format: bundle.Format, BundleID: "sha256:bb", Producer: bundle.Producer{Name: "stella", Version: "1.0.0"}, Tenant: "default",
			Stream: "default", Sequence: 2, CreatedAt: "2026-03-01T00:00:00Z", ValidUntil: "2026-03-31T00:00:00Z", MerkleRoot: "sha256:cc",
			Policies:   []bundle.Policy{{PolicyID: "P-1", Version: 3, Name: "gate", IRDigest: "sha256:ee"}},
			Snapshots:  []bundle.Snapshot{{ID: "sha256:ff", Files: 9}},
			Runs:       []bundle.Run{{RunID: "run-1", FindingsDigest: "sha256:11"}},
			TrustRoots: []bundle.TrustRoot{{KeyID: "sha256:22", Name: "site", Type: "ed25519", Roles: []string{bundle.RoleBundleSigner}}}}
		err := BundleInspect(w, &bundle.Inspection{File: "kit.tar.zst", FileDigest: "sha256:aa", Bytes: 4096, Compression: "zstd", Manifest: m, Files: []bundle.InspectFile{
			{Path: "manifest.json", Size: 900, SHA256: "sha256:0123456789abcdef0123456789", Manifest: "manifest"},
			{Path: "policies/P-1/3/ir.json", Size: 2356, SHA256: "sha256:33", Manifest: "differs"}}}, o)
		if err != nil {
			return err
		}
		return BundleInspect(w, &bundle.Inspection{File: "bad.tar.zst", FileDigest: "sha256:aa", Compression: "gzip", ManifestErr: "manifest.json is missing", Files: []bundle.InspectFile{}}, o)
	}},
	{"bundle-import", func(w io.Writer, o Options) error {
		rep := &bundle.Report{File: "kit.tar.zst", BundleID: "sha256:bb", FileDigest: "sha256:aa", Tenant: "default", Stream: "default", Sequence: 2,
			Producer: bundle.Producer{Name: "stella", Version: "1.0.0"}, CreatedAt: "2026-03-01T00:00:00Z", ValidUntil: "2026-03-31T00:00:00Z",
			TimeAnchor: "2026-03-10T00:00:00Z", AnchorFrom: "time-anchor", SignedAnchor: "2026-03-02T00:00:00Z", DaysLeft: 21, Signers: []string{"sha256:22"},
			Entries: 12, MerkleRoot: "sha256:cc", Policies: []string{"P-1@3"}, Snapshots: []string{"sha256:ff"}}
		res := &bundle.ImportResult{Report: rep, Imported: true, Forced: true, Reason: "restore", PreviousSequence: 5, Policies: []string{"P-1@3"}, Keys: []string{"sha256:22"}, AuditSeq: 7}
		if err := BundleImported(w, "kit.tar.zst", res, []*governance.ApprovalReport{
			{Policy: "P-1@3", Quorum: 2, Approvers: []string{"alice"}, Rejected: []governance.Rejected{{Principal: "mallory", Reason: "not trusted here"}}},
			{Policy: "P-2@1", Quorum: 1, Approvers: []string{"bob"}, Approved: true}}, o); err != nil {
			return err
		}
		return BundleImported(w, "kit.tar.zst", &bundle.ImportResult{Report: rep}, nil, o)
	}},
	{"bundle-status", func(w io.Writer, o Options) error {
		s := bundle.StreamStatus{Stream: "default", Sequence: 2, BundleID: "sha256:0123456789abcdef", ValidUntil: "2026-03-31T00:00:00Z", TimeAnchor: "2026-03-02T00:00:00Z", Imports: 2}
		e := bundle.StreamStatus{Stream: "eu", Sequence: 9, BundleID: "sha256:fedcba9876543210", ValidUntil: "2026-03-05T00:00:00Z", TimeAnchor: "2026-03-01T00:00:00Z", Imports: 1}
		return BundleStatus(w, &bundle.StatusReport{CheckedAt: "2026-03-28T00:00:00Z", CheckedAtSource: "time-anchor", LatestAnchor: "2026-03-02T00:00:00Z",
			Streams: []bundle.StreamReport{{StreamStatus: s, DaysLeft: 3, Warning: "expiring"}, {StreamStatus: e, Expired: true, Warning: "expired"}}}, o)
	}},
	{"bundle-status-empty", func(w io.Writer, o Options) error {
		return BundleStatus(w, &bundle.StatusReport{Streams: []bundle.StreamReport{}}, o)
	}},
	{"feeds-pull", func(w io.Writer, o Options) error {
		return FeedsPull(w, []feeds.Result{
			{Name: "kev", Outcome: feeds.Downloaded, Meta: &feeds.Meta{Records: 1200, Size: 900, Digest: "sha256:0123456789abcdef"}},
			{Name: "osv/npm", Outcome: feeds.Failed, Error: "feed osv/npm (https://mirror.internal/osv/npm/all.zip): all.zip: not a zip archive"},
		}, o)
	}},
}

// testSnapshotSpec is the hand-written input set of testdata/inputs, by
// relative paths so the goldens do not depend on where the repository is.
func testSnapshotSpec() snapshot.Spec {
	dir := filepath.Join("..", "..", "testdata", "inputs")
	return snapshot.Spec{
		SBOMs: []string{filepath.Join(dir, "shop.cdx.json"), filepath.Join(dir, "api.spdx.json")}, Advisories: []string{filepath.Join(dir, "osv")},
		VEX: []string{filepath.Join(dir, "shop.openvex.json")}, EPSS: filepath.Join(dir, "epss.csv"), KEV: filepath.Join(dir, "kev.json"),
		Reachability: []string{filepath.Join(dir, "reach.json")}, Exceptions: []string{filepath.Join(dir, "exceptions.yaml")},
	}
}

func TestInspectTables(t *testing.T) {
	for _, c := range inspectCases {
		var plain, boxed bytes.Buffer
		if err := c.render(&plain, Options{}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := c.render(&boxed, Options{TTY: true}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkGolden(t, "golden."+c.name+".table", plain.Bytes())
		if !bytes.Equal(plain.Bytes(), boxed.Bytes()) { // it draws a table
			checkGolden(t, "golden."+c.name+".table-tty", boxed.Bytes())
		}
	}
}
