package report

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/feeds"
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
	{"feeds-pull", func(w io.Writer, o Options) error {
		return FeedsPull(w, []feeds.Result{
			{Name: "kev", Outcome: feeds.Downloaded, Meta: &feeds.Meta{Records: 1200, Size: 900, Digest: "sha256:0123456789abcdef"}},
			{Name: "osv/npm", Outcome: feeds.Failed},
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
